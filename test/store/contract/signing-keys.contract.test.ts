import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretBoxErrors } from '../../../src/crypto/errors.js';
import { createSecretBox } from '../../../src/crypto/secret-box.js';
import { KeyErrors } from '../../../src/keys/errors.js';
import { type PrivateJwk, type SigningAlgorithm, SigningKeys } from '../../../src/keys/signing-keys.js';
import { StoreErrors } from '../../../src/store/errors.js';
import { isUniqueViolation } from '../../../src/store/unique-violation.js';
import { describeContract, rejectionOf, settle, T0 } from './contract-store.js';

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
      { kid: samlKid, alg: 'RS256', createdAt: T0, activatedAt: T0, retiredAt: null, publishUntil: null },
    ]);
  });

  it('ends with exactly one current key per algorithm when several processes start at once', async () => {
    const handles = await store.handles(4);
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

  describe('two-step rollover (SAML)', () => {
    const DAY = 86_400_000;
    const RULES = { overlapMs: 7 * DAY, retainMs: DAY };
    const kidsOf = async () => (await keys.privateJwks('saml')).map((k) => [k.kid, k.key_ops ?? 'sign']);

    it('publishes a next key that does not sign, beside the current one that goes on signing', async () => {
      const [current] = await keys.ensureCurrent('saml', ['RS256']);
      const before = await keys.version('saml');
      store.clock.advance(1_000);
      const { created, replaced } = await keys.publishNext('saml', ['RS256']);
      expect(replaced).toEqual([]);
      const [next] = created;
      expect(await kidsOf()).toEqual([
        [current, 'sign'],
        [next, ['verify']],
      ]);
      expect((await keys.list('saml')).find((k) => k.kid === next)).toMatchObject({
        activatedAt: null,
        retiredAt: null,
      });
      expect(await keys.version('saml')).not.toBe(before);
      // ensureCurrent (every start) does not take the next key for a missing current one.
      expect(await keys.ensureCurrent('saml', ['RS256'])).toEqual([]);
    });

    it('refuses a second next key unless asked to replace it, which deletes the one never used', async () => {
      await keys.ensureCurrent('saml', ['RS256']);
      const { created: first } = await keys.publishNext('saml', ['RS256']);
      const error = await rejectionOf(keys.publishNext('saml', ['RS256']));
      expect(KeyErrors.is(error, 'KEY_NEXT_PENDING')).toBe(true);
      expect((error as Error).message).toMatch(
        /already published .* activate it, or replace it with --replace/,
      );
      const { created, replaced } = await keys.publishNext('saml', ['RS256'], { replace: true });
      expect(replaced).toEqual(first);
      expect((await keys.list('saml')).map((k) => k.kid)).not.toContain(first[0]);
      expect((await kidsOf()).map(([kid]) => kid)).toContain(created[0]);
    });

    it('refuses to activate before the overlap is over, and with no next key at all', async () => {
      await keys.ensureCurrent('saml', ['RS256']);
      const none = await rejectionOf(keys.activate('saml', RULES));
      expect(KeyErrors.is(none, 'KEY_NO_NEXT')).toBe(true);
      expect((none as Error).message).toContain('passgate keys rotate --purpose saml');

      await keys.publishNext('saml', ['RS256']);
      store.clock.advance(7 * DAY - 1);
      const early = await rejectionOf(keys.activate('saml', RULES));
      expect(KeyErrors.is(early, 'KEY_OVERLAP_NOT_OVER')).toBe(true);
      expect((early as Error).message).toContain(
        `can be activated from ${new Date(T0 + 7 * DAY).toISOString()}, or now with --force`,
      );
      expect((await keys.list('saml')).filter((k) => k.activatedAt === null)).toHaveLength(1);
    });

    it('activates after the overlap: the next key signs, the old one is published for the grace period, then pruned', async () => {
      const [old] = await keys.ensureCurrent('saml', ['RS256']);
      const [next] = (await keys.publishNext('saml', ['RS256'])).created;
      store.clock.advance(7 * DAY);
      const activatedAt = store.clock();
      expect(await keys.activate('saml', RULES)).toEqual({
        activated: [next],
        retired: [old],
        readyAt: activatedAt,
      });
      expect(await kidsOf()).toEqual([
        [next, 'sign'],
        [old, ['verify']],
      ]);
      expect((await keys.list('saml')).find((k) => k.kid === old)).toMatchObject({
        retiredAt: activatedAt,
        publishUntil: activatedAt + DAY,
      });
      store.clock.advance(DAY - 1);
      expect(await keys.prune()).toBe(0);
      store.clock.advance(1);
      expect(await kidsOf()).toEqual([[next, 'sign']]);
      expect(await keys.prune()).toBe(1);
      expect(await rejectionOf(keys.activate('saml', RULES))).toSatisfy((e) =>
        KeyErrors.is(e, 'KEY_NO_NEXT'),
      );
    });

    it('activates early with force, and says when the overlap would have ended', async () => {
      await keys.ensureCurrent('saml', ['RS256']);
      const [next] = (await keys.publishNext('saml', ['RS256'])).created;
      store.clock.advance(DAY);
      const { activated, readyAt } = await keys.activate('saml', { ...RULES, force: true });
      expect(activated).toEqual([next]);
      expect(readyAt).toBe(T0 + 7 * DAY);
    });

    it('activates once when two processes activate at the same time', async () => {
      await keys.ensureCurrent('saml', ['RS256']);
      const [next] = (await keys.publishNext('saml', ['RS256'])).created;
      store.clock.advance(7 * DAY);
      const other = new SigningKeys(
        (await store.openAnotherHandle()).db,
        createSecretBox(masterKey),
        store.clock,
      );
      const { fulfilled, rejected } = await settle([
        keys.activate('saml', RULES),
        other.activate('saml', RULES),
      ]);
      expect(fulfilled).toHaveLength(1);
      // The loser finds the keys changed (CONFLICT, KEY_NO_NEXT) or, on SQLite, the file locked by the winner.
      for (const error of rejected) {
        expect([
          StoreErrors.is(error, 'CONFLICT'),
          StoreErrors.is(error, 'DB_UNREACHABLE'),
          KeyErrors.is(error, 'KEY_NO_NEXT'),
        ]).toContain(true);
      }
      const listed = await keys.list('saml');
      expect(listed.filter((k) => k.retiredAt === null).map((k) => k.kid)).toEqual([next]);
      expect(listed.filter((k) => k.retiredAt !== null)).toHaveLength(1);
    });
  });
});
