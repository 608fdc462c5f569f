import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose';
import Provider, { type Configuration, ExternalSigningKey } from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import { EXTERNAL_SIGNING_ACK, providerSigningKeys } from '../../src/doors/oidc/signing.js';
import type { PrivateJwk } from '../../src/keys/signing-keys.js';

const privateJwk = (alg: 'ES256' | 'RS256', kid: string): PrivateJwk => {
  const { privateKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
};

const current = [privateJwk('ES256', 'es-current'), privateJwk('RS256', 'rs-current')];
// The next key and a retired one: published for verification, never used to sign.
const verifyOnly = { ...privateJwk('ES256', 'es-retired'), key_ops: ['verify'] } as PrivateJwk;
const jwks = [...current, verifyOnly];

/** The JWKS and discovery document a provider built on these keys publishes. */
async function published(keys: Array<PrivateJwk | ExternalSigningKey>, external: boolean) {
  const configuration = {
    jwks: { keys },
    enabledJWA: { idTokenSigningAlgValues: ['ES256', 'RS256'] },
    features: {
      devInteractions: { enabled: false },
      ...(external ? { externalSigningSupport: { enabled: true, ack: EXTERNAL_SIGNING_ACK } } : {}),
    },
  } as Configuration;
  const server = createServer(new Provider('http://127.0.0.1', configuration).callback()).listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const set = await (await fetch(`${base}/jwks`)).text();
    // The endpoints are built from the Host header (Passgate pins them to its public URL): no port.
    const discovery = (await (await fetch(`${base}/.well-known/openid-configuration`)).text()).replaceAll(
      base,
      '',
    );
    return { set, discovery };
  } finally {
    server.close();
  }
}

/** Signs a JWS with one of the provider's keys, as oidc-provider does with an external key. */
function signWith(key: ExternalSigningKey, payload: object): string {
  const header = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signature = key.sign(Buffer.from(`${header}.${body}`)) as Uint8Array;
  return `${header}.${body}.${Buffer.from(signature).toString('base64url')}`;
}

describe('the keys the OIDC provider signs with', () => {
  const keys = providerSigningKeys(jwks);

  it('signs with node:crypto only the keys that may sign; verify-only keys stay JWKs', () => {
    expect(keys.map((key) => key instanceof ExternalSigningKey)).toEqual([true, true, false]);
    expect(keys.map((key) => key.kid)).toEqual(['es-current', 'rs-current', 'es-retired']);
  });

  it('publishes the same key set and discovery document as the private JWKs did', async () => {
    const before = await published(jwks, false);
    const after = await published(keys, true);
    expect(after.set).toBe(before.set);
    expect(JSON.parse(after.set).keys).toHaveLength(3);
    expect(JSON.stringify(after.set)).not.toMatch(/"d"|"p"|"q"/);
    expect(after.discovery).toEqual(before.discovery);
  });

  it('makes ES256 (r || s) and RS256 signatures that verify against the published key set', async () => {
    const set = createLocalJWKSet(JSON.parse((await published(keys, true)).set));
    for (const key of keys.slice(0, 2) as ExternalSigningKey[]) {
      const jws = signWith(key, { sub: 'paula' });
      expect(decodeProtectedHeader(jws).alg).toBe(key.alg);
      const { payload } = await compactVerify(jws, set);
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ sub: 'paula' });
    }
    // A P-256 signature in JWS form is 64 bytes; DER would be 70 or so and fail to verify.
    const [header, , signature] = signWith(keys[0] as ExternalSigningKey, {}).split('.');
    expect(Buffer.from(signature!, 'base64url')).toHaveLength(64);
    const tampered = `${header}.${Buffer.from('{"sub":"mallory"}').toString('base64url')}.${signature}`;
    await expect(compactVerify(tampered, set)).rejects.toThrow();
  });
});
