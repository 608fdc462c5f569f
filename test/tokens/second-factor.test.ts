import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src/server/core.js';
import type { User } from '../../src/store/repositories/users.js';
import { enrolOath } from '../../src/tokens/enrol.js';
import { hotpCode, timeStep, totpCode } from '../../src/tokens/oath.js';
import { resynchronise } from '../../src/tokens/resync.js';
import { createTestCore, type FakeClock, type TestCore } from '../support/core.js';
import { BACKENDS } from '../support/databases.js';
import { outcome } from '../support/outcome.js';

const SECRET = Buffer.from('12345678901234567890');
const SHA1_6 = { algorithm: 'SHA1', digits: 6 } as const;
const CONTEXT = { address: '192.0.2.10', door: 'test' };

describe.each(BACKENDS)('second-factor verification (%s)', (backend) => {
  let test: TestCore;
  let core: Core;
  let clock: FakeClock;
  let alice: User;

  beforeEach(async () => {
    test = await createTestCore(backend, {
      mfa: { lockAfterFailures: 10, delayAfterFailures: 3, lockSeconds: 600 },
    });
    ({ core, clock } = test);
    alice = await test.addUser('alice');
  });
  afterEach(() => test?.close());

  const enrol = async (
    type: 'totp' | 'hotp',
    extra: { period?: number; digits?: number; algorithm?: 'SHA256' } = {},
  ) =>
    (
      await enrolOath(
        core.tokens,
        { userId: alice.id, label: 'alice', type, secret: SECRET, ...extra },
        'Passgate',
      )
    ).token;
  /** A list of backup codes for alice, through the registry's backup type. */
  const enrolBackupCodes = (count: number) =>
    core.tokenTypes.get('backup')!.enrol!({
      userId: alice.id,
      label: 'alice',
      issuer: 'Passgate',
      settings: { count },
    });
  const verify = (response: string, extra: { tokenId?: string } = {}) =>
    core.secondFactor.verify({ user: alice, response, context: CONTEXT, ...extra });
  const currentTotp = (offset = 0, period = 30) =>
    totpCode(SECRET, timeStep(clock(), period) + offset, period, SHA1_6);

  it('accepts a TOTP code exactly once among 50 concurrent submissions', async () => {
    await enrol('totp');
    const code = currentTotp();
    const results = await Promise.all(Array.from({ length: 50 }, () => outcome(verify(code))));
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    // Every other submission is refused. On PostgreSQL the replays interleave, so a submission that
    // reads the token after ten refused replays finds it locked: that is a refusal too.
    const refusals = new Set(['MFA_INVALID_CODE', 'MFA_THROTTLED', 'MFA_LOCKED']);
    expect(results.filter((r) => r !== 'ok' && !refusals.has(r))).toEqual([]);
    expect(results.filter((r) => refusals.has(r))).toHaveLength(49);
    // One success recorded, stored with the acceptance; a refused replay records a refusal only.
    const events = await core.audit.recent({ type: 'login.second-factor', limit: 100 });
    expect(events.filter((e) => e.outcome === 'success')).toHaveLength(1);
    expect(events).toHaveLength(50);
  });

  it('accepts an HOTP code exactly once among 50 concurrent submissions', async () => {
    await enrol('hotp');
    const results = await Promise.all(
      Array.from({ length: 50 }, () => outcome(verify(hotpCode(SECRET, 3, SHA1_6)))),
    );
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    const events = await core.audit.recent({ type: 'login.second-factor', limit: 100 });
    expect(events.filter((e) => e.outcome === 'success')).toHaveLength(1);
  });

  it('never accepts a TOTP step at or before the last accepted one', async () => {
    await enrol('totp');
    const earlier = currentTotp(-1);
    expect(await outcome(verify(currentTotp()))).toBe('ok');
    expect(await outcome(verify(currentTotp()))).toBe('MFA_INVALID_CODE');
    expect(await outcome(verify(earlier))).toBe('MFA_INVALID_CODE');
  });

  it('accepts ±1 step and learns the drift of a token whose clock runs ahead', async () => {
    const token = await enrol('totp');
    expect(await outcome(verify(currentTotp(2)))).toBe('MFA_INVALID_CODE');
    clock.advance(5 * 60_000);
    expect(await outcome(verify(currentTotp(1)))).toBe('ok');
    expect((await core.tokens.findById(token.id))!.drift).toBe(1);
    // The token drifts further: +2 is now within the window around the learned +1.
    clock.advance(5 * 60_000);
    expect(await outcome(verify(currentTotp(2)))).toBe('ok');
    expect((await core.tokens.findById(token.id))!.drift).toBe(2);
    // What the server's own clock says is now outside the token's window.
    clock.advance(5 * 60_000);
    expect(await outcome(verify(currentTotp(0)))).toBe('MFA_INVALID_CODE');
  });

  it('verifies any digits, time step and algorithm the token was enrolled with', async () => {
    await enrol('totp', { period: 60, digits: 8, algorithm: 'SHA256' });
    const seed = Buffer.from('12345678901234567890');
    const code = totpCode(seed, timeStep(clock(), 60), 60, { algorithm: 'SHA256', digits: 8 });
    expect(await outcome(verify(code))).toBe('ok');
  });

  it('looks ahead 10 HOTP counter values and resynchronises from two consecutive codes beyond that', async () => {
    const token = await enrol('hotp');
    expect(await outcome(verify(hotpCode(SECRET, 10, SHA1_6)))).toBe('ok');
    expect((await core.tokens.findById(token.id))!.counter).toBe(11);
    expect(await outcome(verify(hotpCode(SECRET, 40, SHA1_6)))).toBe('MFA_INVALID_CODE');
    const fresh = (await core.tokens.findById(token.id))!;
    const result = await resynchronise(
      core.tokenTypes,
      fresh,
      [hotpCode(SECRET, 50, SHA1_6), hotpCode(SECRET, 51, SHA1_6)],
      core.config.mfa.resyncWindow,
    );
    expect(result).toEqual({ counter: 52 });
    expect(await outcome(verify(hotpCode(SECRET, 51, SHA1_6)))).toBe('MFA_INVALID_CODE');
    expect(await outcome(verify(hotpCode(SECRET, 52, SHA1_6)))).toBe('ok');
  });

  it('resynchronises a TOTP token whose clock is far off', async () => {
    const token = await enrol('totp');
    const now = timeStep(clock(), 30);
    const result = await resynchronise(
      core.tokenTypes,
      token,
      [totpCode(SECRET, now - 40, 30, SHA1_6), totpCode(SECRET, now - 39, 30, SHA1_6)],
      1000,
    );
    expect(result).toEqual({ drift: -39 });
    clock.advance(30_000);
    expect(await outcome(verify(currentTotp(-39)))).toBe('ok');
  });

  it('refuses a resynchronisation with codes that are not consecutive', async () => {
    const token = await enrol('hotp');
    await expect(
      resynchronise(
        core.tokenTypes,
        token,
        [hotpCode(SECRET, 50, SHA1_6), hotpCode(SECRET, 52, SHA1_6)],
        1000,
      ),
    ).rejects.toMatchObject({ code: 'TOKEN_RESYNC_FAILED' });
  });

  it('makes a token wait longer after each failure beyond three, across sessions', async () => {
    await enrol('totp');
    for (let i = 0; i < 3; i++) expect(await outcome(verify('000000'))).toBe('MFA_INVALID_CODE');
    // Fourth attempt right away: must wait 1 s; then 2 s after the next failure.
    expect(await outcome(verify(currentTotp()))).toBe('MFA_THROTTLED');
    clock.advance(1000);
    expect(await outcome(verify('000000'))).toBe('MFA_INVALID_CODE');
    clock.advance(1000);
    expect(await outcome(verify(currentTotp()))).toBe('MFA_THROTTLED');
    clock.advance(1000);
    expect(await outcome(verify(currentTotp()))).toBe('ok');
  });

  it('locks a token after ten consecutive failures until the lock times out or an administrator unlocks it', async () => {
    const token = await enrol('totp');
    for (let i = 0; i < 10; i++) {
      clock.advance(61_000);
      expect(await outcome(verify('000000'))).toBe('MFA_INVALID_CODE');
    }
    clock.advance(61_000);
    expect(await outcome(verify(currentTotp()))).toBe('MFA_LOCKED');
    const events = await core.audit.recent({ type: 'login.second-factor' });
    expect(events[0]).toMatchObject({ outcome: 'denied', reason: 'MFA_LOCKED' });
    expect(events[1]!.details.locked).toEqual([token.id]);
    await core.tokens.unlock(token.id);
    expect(await outcome(verify(currentTotp()))).toBe('ok');
    for (let i = 0; i < 10; i++) {
      clock.advance(61_000);
      await outcome(verify('000000'));
    }
    expect(await outcome(verify(currentTotp(0)))).toBe('MFA_LOCKED');
    clock.advance(600_000);
    expect(await outcome(verify(currentTotp()))).toBe('ok');
  });

  it('ends the run of failures on every token when any of them succeeds', async () => {
    const totp = await enrol('totp');
    const { token: backup, codes: issued } = await enrolBackupCodes(2);
    const codes = issued!;
    for (let i = 0; i < 2; i++) {
      clock.advance(61_000);
      expect(await outcome(verify('000000'))).toBe('MFA_INVALID_CODE');
    }
    expect((await core.tokens.findById(backup.id))!.failures).toBe(2);
    expect(await outcome(verify(currentTotp()))).toBe('ok');
    expect((await core.tokens.findById(backup.id))!.failures).toBe(0);
    expect((await core.tokens.findById(totp.id))!.failures).toBe(0);
    expect(await outcome(verify(codes[0]!))).toBe('ok');
  });

  it('throttles a user across all of their tokens', async () => {
    await test.close();
    test = await createTestCore(backend, {
      mfa: { userMaxFailures: 4, delayAfterFailures: 100, lockAfterFailures: 100 },
    });
    ({ core, clock } = test);
    alice = await test.addUser('alice');
    await enrol('totp');
    await enrol('hotp');
    for (let i = 0; i < 4; i++) expect(await outcome(verify('999999'))).toBe('MFA_INVALID_CODE');
    expect(await outcome(verify(hotpCode(SECRET, 0, SHA1_6)))).toBe('MFA_THROTTLED');
    clock.advance(900_000);
    expect(await outcome(verify(hotpCode(SECRET, 0, SHA1_6)))).toBe('ok');
  });

  it('checks only the token asked for, and ignores pending and disabled tokens', async () => {
    const totp = await enrol('totp');
    const hotp = await enrol('hotp');
    expect(await outcome(verify(hotpCode(SECRET, 0, SHA1_6), { tokenId: totp.id }))).toBe('MFA_INVALID_CODE');
    await core.tokens.setStatus(hotp.id, 'disabled');
    expect(await outcome(verify(hotpCode(SECRET, 1, SHA1_6)))).toBe('MFA_INVALID_CODE');
    await core.tokens.setStatus(totp.id, 'pending');
    expect(await outcome(verify(currentTotp()))).toBe('MFA_NO_FACTOR');
  });

  it('accepts each backup code once, even concurrently', async () => {
    const { token, codes: issued } = await enrolBackupCodes(10);
    const codes = issued!;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^\d{5}-\d{5}$/);
    const results = await Promise.all(Array.from({ length: 20 }, () => outcome(verify(codes[0]!))));
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    // The 19 replays counted as failures and locked the list.
    expect(await outcome(verify(codes[1]!))).toBe('MFA_LOCKED');
    await core.tokens.unlock(token.id);
    expect(await outcome(verify(codes[1]!.replace('-', ' ')))).toBe('ok');
    expect(await outcome(verify('12345-67890'))).toBe('MFA_INVALID_CODE');
  });

  it('records the method used and never the code in the audit log', async () => {
    const token = await enrol('totp');
    const code = currentTotp();
    const result = await verify(code);
    expect(result).toMatchObject({ method: 'totp', amr: ['otp'], token: { id: token.id } });
    const [event] = await core.audit.recent({ type: 'login.second-factor' });
    expect(event).toMatchObject({ outcome: 'success', userId: alice.id, address: '192.0.2.10' });
    expect(event!.details).toMatchObject({ method: 'totp', token: token.id, door: 'test' });
    expect(JSON.stringify(event)).not.toContain(code);
  });

  it('keeps secrets sealed at rest under the master key', async () => {
    const token = await enrol('totp');
    const row = await core.database.db
      .selectFrom('tokens')
      .select('secret')
      .where('id', '=', token.id)
      .executeTakeFirstOrThrow();
    expect(row.secret).toMatch(/^v1\./);
    for (const form of [
      SECRET.toString(),
      SECRET.toString('hex'),
      SECRET.toString('base64'),
      'GEZDGNBVGY3TQOJQ',
    ]) {
      expect(row.secret).not.toContain(form);
    }
    expect((await core.tokens.secretOf(token.id)).equals(SECRET)).toBe(true);
    expect(Object.values(token)).not.toContain(SECRET.toString());
  });
});
