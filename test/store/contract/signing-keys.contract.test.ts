import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import { SecretBoxErrors } from '../../../src/crypto/errors.js';
import { createSecretBox } from '../../../src/crypto/secret-box.js';
import { type PrivateJwk, type SigningAlgorithm, SigningKeys } from '../../../src/keys/signing-keys.js';
import { isUniqueViolation } from '../../../src/store/unique-violation.js';
import { describeContract, rejectionOf, T0 } from './contract-store.js';

describeContract('SigningKeys', (store) => {
  const ALGS: readonly SigningAlgorithm[] = ['ES256', 'RS256'];
  const masterKey = randomBytes(32);
  let keys: SigningKeys;
  beforeEach(() => {
    keys = new SigningKeys(store.database.db, createSecretBox(masterKey), store.clock);
  });

  const current = async (purpose = 'oidc') =>
    (await keys.list(purpose)).filter((k) => k.retiredAt === null).map((k) => k.alg);

  it('creates one ES256 and one RS256 key on first start and nothing on later starts', async () => {
    const created = await keys.ensureCurrent('oidc', ALGS);
    expect(created).toHaveLength(2);
    const listed = await keys.list('oidc');
    expect(listed.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(listed.map((k) => k.kid).sort()).toEqual([...created].sort());
    for (const key of listed) {
      expect(key).toMatchObject({ createdAt: T0, retiredAt: null, publishUntil: null });
    }

    expect(await keys.ensureCurrent('oidc', ALGS)).toEqual([]);
    expect(await keys.list('oidc')).toEqual(listed);
  });

  it('keeps purposes apart', async () => {
    await keys.ensureCurrent('oidc', ALGS);
    expect(await keys.list('saml')).toEqual([]);
    expect(await keys.ensureCurrent('saml', ['RS256'])).toHaveLength(1);
    expect(await current('saml')).toEqual(['RS256']);
    expect((await current('oidc')).sort()).toEqual(['ES256', 'RS256']);

    const samlKid = (await keys.list('saml'))[0]!.kid;
    await keys.rotate('oidc', ALGS, 1_000);
    expect(await keys.list('saml')).toEqual([
      { kid: samlKid, alg: 'RS256', createdAt: T0, retiredAt: null, publishUntil: null },
    ]);
  });

  it('ends with exactly one current key per algorithm when several processes start at once', async () => {
    const handles = [
      store.database,
      await store.openAnotherHandle(),
      await store.openAnotherHandle(),
      await store.openAnotherHandle(),
    ];
    const callers = handles.map((h) => new SigningKeys(h.db, createSecretBox(masterKey), store.clock));
    const created = await Promise.all(
      [...callers, ...callers].map((caller) => caller.ensureCurrent('oidc', ALGS)),
    );
    expect(created.flat()).toHaveLength(2);
    expect((await current()).sort()).toEqual(['ES256', 'RS256']);
    expect((await keys.privateJwks('oidc')).map((k) => k.kid).sort()).toEqual(created.flat().sort());
  });

  it('refuses a second current key for the same algorithm at the store.database level', async () => {
    await keys.ensureCurrent('oidc', ['ES256']);
    const [existing] = await store.database.db.selectFrom('signing_keys').selectAll().execute();
    const error = await rejectionOf(
      store.database.db
        .insertInto('signing_keys')
        .values({ ...existing!, kid: 'another-kid' })
        .execute(),
    );
    expect(isUniqueViolation(error)).toBe(true);
    await store.database.db
      .insertInto('signing_keys')
      .values({ ...existing!, kid: 'retired-kid', retired_at: T0, publish_until: T0 + 1 })
      .execute();
    expect(await keys.list('oidc')).toHaveLength(2);
  });

  it('retires the current keys on rotation, keeps them published for verification and signs with new ones', async () => {
    const first = await keys.ensureCurrent('oidc', ALGS);
    store.clock.advance(60_000);
    const rotatedAt = store.clock();
    const { created, retired } = await keys.rotate('oidc', ALGS, 3_600_000);
    expect(retired.sort()).toEqual([...first].sort());
    expect(created).toHaveLength(2);
    expect(created.some((kid) => first.includes(kid))).toBe(false);

    const listed = await keys.list('oidc');
    for (const kid of first) {
      expect(listed.find((k) => k.kid === kid)).toMatchObject({
        retiredAt: rotatedAt,
        publishUntil: rotatedAt + 3_600_000,
      });
    }
    for (const kid of created) {
      expect(listed.find((k) => k.kid === kid)).toMatchObject({ retiredAt: null, publishUntil: null });
    }

    const jwks = await keys.privateJwks('oidc');
    expect(jwks.map((k) => k.kid)).toHaveLength(4);
    expect(
      jwks
        .slice(0, 2)
        .map((k) => k.kid)
        .sort(),
    ).toEqual([...created].sort());
    expect(
      jwks
        .slice(2)
        .map((k) => k.kid)
        .sort(),
    ).toEqual([...first].sort());
    for (const jwk of jwks.slice(0, 2)) expect(jwk.key_ops).toBeUndefined();
    for (const jwk of jwks.slice(2)) expect(jwk.key_ops).toEqual(['verify']);
    expect((await current()).sort()).toEqual(['ES256', 'RS256']);
  });

  it('hands out private keys that match their published public halves', async () => {
    await keys.ensureCurrent('oidc', ALGS);
    const rows = await store.database.db.selectFrom('signing_keys').selectAll().execute();
    const jwks = await keys.privateJwks('oidc');
    expect(jwks).toHaveLength(2);
    for (const jwk of jwks) {
      const row = rows.find((r) => r.kid === jwk.kid)!;
      expect(jwk).toMatchObject({ alg: row.alg, use: 'sig' });
      expect(typeof jwk.d).toBe('string');
      const derived = createPublicKey(createPrivateKey({ key: jwk, format: 'jwk' })).export({
        format: 'jwk',
      });
      const published = JSON.parse(row.public_jwk) as Record<string, unknown>;
      expect(published).not.toHaveProperty('d');
      expect(published).toMatchObject({ ...derived, kid: jwk.kid, alg: jwk.alg });
    }
  });

  it('stops publishing retired keys when their period ends and prunes exactly those', async () => {
    const first = await keys.ensureCurrent('oidc', ALGS);
    const { created } = await keys.rotate('oidc', ALGS, 1_000);

    store.clock.advance(999);
    expect(await keys.prune()).toBe(0);
    expect(await keys.privateJwks('oidc')).toHaveLength(4);

    store.clock.advance(1);
    const published = await keys.privateJwks('oidc');
    expect(published.map((k) => k.kid).sort()).toEqual([...created].sort());
    expect((await keys.list('oidc')).map((k) => k.kid).sort()).toEqual([...first, ...created].sort());

    expect(await keys.prune()).toBe(2);
    expect((await keys.list('oidc')).map((k) => k.kid).sort()).toEqual([...created].sort());
    expect(await keys.prune()).toBe(0);
  });

  it('stores private keys sealed under the master key, never in the clear', async () => {
    await keys.ensureCurrent('oidc', ALGS);
    const jwks = new Map<string, PrivateJwk>((await keys.privateJwks('oidc')).map((k) => [k.kid, k]));
    const rows = await store.database.db.selectFrom('signing_keys').selectAll().execute();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const d = jwks.get(row.kid)!.d!;
      expect(d.length).toBeGreaterThan(20);
      expect(row.private_key).not.toContain(d);
      expect(row.private_key).not.toContain('"d"');
      expect(row.private_key.startsWith(`v1.${createSecretBox(masterKey).keyId}.`)).toBe(true);
      expect(row.public_jwk).not.toContain(d);
    }

    const stranger = new SigningKeys(store.database.db, createSecretBox(randomBytes(32)), store.clock);
    const error = await rejectionOf(stranger.privateJwks('oidc'));
    expect(SecretBoxErrors.is(error, 'SECRET_UNDECRYPTABLE')).toBe(true);
  });

  it('changes its version whenever the published key set changes, and only then', async () => {
    const empty = await keys.version('oidc');
    await keys.ensureCurrent('oidc', ALGS);
    const initial = await keys.version('oidc');
    expect(initial).not.toBe(empty);
    await keys.ensureCurrent('oidc', ALGS);
    store.clock.advance(10);
    expect(await keys.version('oidc')).toBe(initial);

    await keys.rotate('oidc', ALGS, 5_000);
    const rotated = await keys.version('oidc');
    expect(rotated).not.toBe(initial);
    store.clock.advance(4_999);
    expect(await keys.version('oidc')).toBe(rotated);

    store.clock.advance(1);
    const expired = await keys.version('oidc');
    expect(expired).not.toBe(rotated);
    expect(expired).not.toBe(initial);
    await keys.prune();
    expect(await keys.version('oidc')).toBe(expired);
  });
});
