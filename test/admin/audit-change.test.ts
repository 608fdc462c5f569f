import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditChange, REDACTED, redact } from '../../src/doors/admin/audit-change.js';
import { seatNotices } from '../../src/doors/admin/seat-notices.js';
import type { SignedInAdmin } from '../../src/doors/admin/signed-in.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { loadTranslations } from '../../src/web/i18n.js';
import { createTestCore, type TestCore } from '../support/core.js';

describe('auditChange', () => {
  let test: TestCore;
  let admin: SignedInAdmin;

  beforeAll(async () => {
    test = await createTestCore('sqlite');
    const user = await test.addUser('ada');
    admin = { user, role: 'helpdesk', session: { sid: 's', userId: user.id, signedInAt: 0, expiresAt: 1 } };
  });
  afterAll(() => test?.close());

  it('redacts secrets by field name and by type, at any depth', () => {
    expect(
      redact({
        username: 'bob',
        password: 'hunter2',
        newPassword: 'x',
        token: { serial: 'OATH1', seed: 'abc', otpKey: 'k', tokenId: 't1' },
        list: [{ clientSecret: 's' }, Buffer.from('raw seed')],
        pinCode: 1234,
      }),
    ).toEqual({
      username: 'bob',
      password: REDACTED,
      newPassword: REDACTED,
      token: REDACTED,
      list: [{ clientSecret: REDACTED }, REDACTED],
      pinCode: REDACTED,
    });
  });

  it('records who changed what, before and after, the address and the user concerned; never a secret', async () => {
    const audit = createAuditChange(test.core.audit);
    await audit(
      admin,
      'admin.user.password',
      { displayName: 'Bob', password: 'old-secret-1' },
      { displayName: 'Robert', password: 'new-secret-2', seed: new Uint8Array([1, 2, 3]) },
      '192.0.2.7',
      { userId: 'u-bob', username: 'bob' },
    );
    const [event] = await test.core.audit.recent({ type: 'admin.user.password' });
    expect(event).toMatchObject({
      outcome: 'success',
      username: 'bob',
      userId: 'u-bob',
      address: '192.0.2.7',
      details: {
        door: 'admin',
        admin: 'ada',
        adminId: admin.user.id,
        role: 'helpdesk',
        before: { displayName: 'Bob', password: REDACTED },
        after: { displayName: 'Robert', password: REDACTED, seed: REDACTED },
        changedSecrets: ['password', 'seed'],
      },
    });
    const stored = JSON.stringify(await test.core.audit.recent({ limit: 100 }));
    expect(stored).not.toContain('old-secret-1');
    expect(stored).not.toContain('new-secret-2');
  });
});

describe('the licence warning in the header', () => {
  it('warns from 90 % of a limited pool, as an error when full, and says nothing for unlimited pools', async () => {
    const usage = (mfa: [number, number | null], reset: [number, number | null]) => ({
      usage: async () => ({
        mfa: { used: mfa[0], capacity: mfa[1] },
        reset: { used: reset[0], capacity: reset[1] },
      }),
    });
    const admin = {} as SignedInAdmin;
    expect(await seatNotices(usage([1000, null], [89, 100]))(admin)).toEqual([]);
    const notices = await seatNotices(usage([90, 100], [10, 10]))(admin);
    expect(notices.map((n) => [n.key, n.level])).toEqual([
      ['admin:notices.seatsHigh.mfa', 'warning'],
      ['admin:notices.seatsFull.reset', 'error'],
    ]);
    const { i18n } = await loadTranslations(path.join(PACKAGE_ROOT, 'locales'), 'en');
    expect(i18n.t(notices[0]!.key, { lng: 'en', ...notices[0]!.values })).toBe(
      'Licence: the MFA seat pool is at 90 % (90 of 100 seats).',
    );
  });
});
