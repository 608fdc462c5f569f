import { createHash, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { StoreErrors } from '../store/errors.js';
import type { Tables } from '../store/tables.js';
import { isUniqueViolation } from '../store/unique-violation.js';

/** Signature algorithms Passgate generates keys for. */
export type SigningAlgorithm = 'ES256' | 'RS256';

/** A private signing key as a JWK, ready for oidc-provider (or SAML later). */
export type PrivateJwk = JsonWebKey & { kid: string; alg: SigningAlgorithm; use: 'sig' };

/**
 * Issues an X.509 certificate for a new key pair, as base64 DER (the JWK `x5c` member): SAML
 * publishes its signing key as a certificate.
 */
export type Certify = (pair: { privateKey: KeyObject; publicKey: KeyObject }) => Promise<string>;

/** Summary of a key for listings; never the private half. */
export interface SigningKeyInfo {
  kid: string;
  alg: string;
  createdAt: number;
  retiredAt: number | null;
  publishUntil: number | null;
}

/**
 * Signing keys per purpose ("oidc", later "saml"): generated on first start, private halves
 * sealed with the master key, rotated on demand. A retired key stops signing at once but stays
 * published until the tokens it signed have expired.
 */
export class SigningKeys {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly box: SecretBox,
    private readonly clock: Clock,
  ) {}

  /** Creates a current key for every algorithm that lacks one. Safe to run from several processes. */
  async ensureCurrent(
    purpose: string,
    algorithms: readonly SigningAlgorithm[],
    certify?: Certify,
  ): Promise<string[]> {
    const created: string[] = [];
    for (const alg of algorithms) {
      const existing = await this.db
        .selectFrom('signing_keys')
        .select('kid')
        .where('purpose', '=', purpose)
        .where('alg', '=', alg)
        .where('retired_at', 'is', null)
        .executeTakeFirst();
      if (existing) continue;
      try {
        created.push(await this.insertNew(this.db, purpose, alg, certify));
      } catch (error) {
        if (!isUniqueViolation(error)) throw error; // another process won the race
      }
    }
    return created;
  }

  /**
   * Retires the current keys of `purpose` (published for `retainMs` more) and creates new ones,
   * in one transaction.
   */
  async rotate(
    purpose: string,
    algorithms: readonly SigningAlgorithm[],
    retainMs: number,
    certify?: Certify,
  ): Promise<{ created: string[]; retired: string[] }> {
    const now = this.clock();
    return this.db
      .transaction()
      .execute(async (trx) => {
        const current = await trx
          .selectFrom('signing_keys')
          .select('kid')
          .where('purpose', '=', purpose)
          .where('retired_at', 'is', null)
          .execute();
        await trx
          .updateTable('signing_keys')
          .set({ retired_at: now, publish_until: now + retainMs })
          .where('purpose', '=', purpose)
          .where('retired_at', 'is', null)
          .execute();
        const created: string[] = [];
        for (const alg of algorithms) created.push(await this.insertNew(trx, purpose, alg, certify));
        return { created, retired: current.map((k) => k.kid) };
      })
      .catch((error: unknown) => {
        if (!isUniqueViolation(error)) throw error;
        throw StoreErrors.CONFLICT({
          detail: 'another key rotation ran at the same time; try again',
          cause: error,
        });
      });
  }

  /**
   * Private JWKs to configure a signer with: current keys first (they sign), then retired keys
   * still inside their publication period (verify only).
   */
  async privateJwks(purpose: string): Promise<PrivateJwk[]> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .selectAll()
      .where('purpose', '=', purpose)
      .where((eb) => eb.or([eb('retired_at', 'is', null), eb('publish_until', '>', this.clock())]))
      .orderBy('created_at', 'desc')
      .execute();
    const current = rows.filter((r) => r.retired_at === null);
    const retired = rows.filter((r) => r.retired_at !== null);
    return [...current, ...retired].map((row) => {
      const jwk = JSON.parse(
        this.box.open(row.private_key, `signing-key:${row.kid}`).toString('utf8'),
      ) as PrivateJwk;
      return row.retired_at === null ? jwk : { ...jwk, key_ops: ['verify'] };
    });
  }

  /** A fingerprint that changes whenever the published key set of `purpose` changes. */
  async version(purpose: string): Promise<string> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .select(['kid', 'retired_at'])
      .where('purpose', '=', purpose)
      .where((eb) => eb.or([eb('retired_at', 'is', null), eb('publish_until', '>', this.clock())]))
      .orderBy('kid')
      .execute();
    return rows.map((r) => `${r.kid}:${r.retired_at ?? ''}`).join(',');
  }

  async list(purpose: string): Promise<SigningKeyInfo[]> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .select(['kid', 'alg', 'created_at', 'retired_at', 'publish_until'])
      .where('purpose', '=', purpose)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      createdAt: r.created_at,
      retiredAt: r.retired_at,
      publishUntil: r.publish_until,
    }));
  }

  /** Deletes retired keys whose publication period is over. */
  async prune(): Promise<number> {
    const result = await this.db
      .deleteFrom('signing_keys')
      .where('retired_at', 'is not', null)
      .where('publish_until', '<=', this.clock())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private async insertNew(
    db: Kysely<Tables>,
    purpose: string,
    alg: SigningAlgorithm,
    certify?: Certify,
  ): Promise<string> {
    const { privateJwk, publicJwk, pair } = generate(alg);
    if (certify) {
      const x5c = [await certify(pair)];
      privateJwk.x5c = x5c;
      publicJwk.x5c = x5c;
    }
    await db
      .insertInto('signing_keys')
      .values({
        kid: privateJwk.kid,
        purpose,
        alg,
        private_key: this.box.seal(JSON.stringify(privateJwk), `signing-key:${privateJwk.kid}`),
        public_jwk: JSON.stringify(publicJwk),
        created_at: this.clock(),
        retired_at: null,
        publish_until: null,
      })
      .execute();
    return privateJwk.kid;
  }
}

function generate(alg: SigningAlgorithm): {
  privateJwk: PrivateJwk;
  publicJwk: JsonWebKey;
  pair: { privateKey: KeyObject; publicKey: KeyObject };
} {
  const { privateKey, publicKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicJwk = publicKey.export({ format: 'jwk' });
  // RFC 7638 thumbprint as the key id.
  const members =
    alg === 'ES256'
      ? { crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x, y: publicJwk.y }
      : { e: publicJwk.e, kty: publicJwk.kty, n: publicJwk.n };
  const kid = createHash('sha256').update(JSON.stringify(members)).digest('base64url');
  const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' as const };
  return { privateJwk, publicJwk: { ...publicJwk, kid, alg, use: 'sig' }, pair: { privateKey, publicKey } };
}
