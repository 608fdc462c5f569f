import { createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { ExternalSigningKey } from 'oidc-provider';
import type { PrivateJwk } from '../../keys/signing-keys.js';

/**
 * The version of oidc-provider's external-signing experiment this module implements; oidc-provider
 * refuses to start when an upgrade changes it (then re-check {@link NodeSigningKey} against it).
 */
export const EXTERNAL_SIGNING_ACK = 'experimental-01';

/**
 * A signing key oidc-provider hands the bytes to sign, which node:crypto signs at once on the
 * calling thread (ES256 in about 40 µs, where jose's WebCrypto path through a worker-pool job
 * costs about 140 µs of CPU per ID token). What is signed, and what the JWKS publishes for the
 * key (kty, kid, alg, use, and the public parameters), are the same as with the private JWK.
 */
class NodeSigningKey extends ExternalSigningKey {
  readonly #kid: string;
  readonly #alg: PrivateJwk['alg'];
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;

  constructor(jwk: PrivateJwk) {
    super();
    this.#kid = jwk.kid;
    this.#alg = jwk.alg;
    this.#privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
    this.#publicKey = createPublicKey(this.#privateKey);
  }

  override get kid(): string {
    return this.#kid;
  }

  override get alg(): string {
    return this.#alg;
  }

  override keyObject(): KeyObject {
    return this.#publicKey;
  }

  override sign(data: Uint8Array): Uint8Array {
    // JWS wants ECDSA signatures as r || s (IEEE P1363), not DER; RS256 is PKCS #1 v1.5.
    const key =
      this.#alg === 'ES256'
        ? { key: this.#privateKey, dsaEncoding: 'ieee-p1363' as const }
        : this.#privateKey;
    return sign('sha256', data, key);
  }
}

/**
 * The provider's key set: each key that signs (no `key_ops`, or `sign` among them) signed by
 * node:crypto; keys kept for verification only (the next key, retired keys) stay as they are.
 */
export function providerSigningKeys(jwks: readonly PrivateJwk[]): Array<PrivateJwk | ExternalSigningKey> {
  return jwks.map((jwk) => {
    const operations = (jwk as { key_ops?: string[] }).key_ops;
    return operations === undefined || operations.includes('sign') ? new NodeSigningKey(jwk) : jwk;
  });
}
