import { beforeEach, expect, it } from 'vitest';
import { AuditRepository } from '../../../src/store/repositories/audit.js';
import { describeContract, T0 } from './contract-store.js';

describeContract('AuditRepository', (store) => {
  let audit: AuditRepository;
  beforeEach(() => {
    audit = new AuditRepository(store.database.db, store.clock);
  });

  it('group-commits the events of one turn in one statement, and a bad event fails only its own caller', async () => {
    const statements: string[] = [];
    const stop = store.database.observeStatements((sql) => statements.push(sql));
    const names = Array.from({ length: 70 }, (_, i) => `user${i}`);
    const outcomes = await Promise.allSettled([
      ...names.map((username) => audit.record({ type: 'login', outcome: 'success', username })),
      // No type: the column refuses it.
      audit.record({ type: null as unknown as string, outcome: 'failure', username: 'broken' }),
    ]);
    stop();
    expect(outcomes.slice(0, 70).every((o) => o.status === 'fulfilled')).toBe(true);
    expect(outcomes[70]!.status).toBe('rejected');
    // 70 + 1 events: a statement of 64 and one of 7 (refused for the bad event), then 7 alone.
    expect(statements.filter((sql) => /^insert into "audit_events"/i.test(sql))).toHaveLength(2 + 7);
    const stored = await audit.recent({ limit: 100 });
    expect(stored.map((e) => e.username).sort()).toEqual([...names].sort());
    expect(new Set(stored.map((e) => e.id)).size).toBe(70);
  });

  it('returns the most recent events first, optionally of one type and up to a limit', async () => {
    const recorded = [
      { type: 'login', outcome: 'success', username: 'alice' },
      { type: 'user.disable', outcome: 'info', username: 'bob' },
      { type: 'login', outcome: 'failure', username: 'bob', reason: 'bad_password' },
      { type: 'login', outcome: 'denied', username: 'carol', reason: 'disabled' },
    ] as const;
    for (const event of recorded) {
      store.clock.advance(1_000);
      await audit.record(event);
    }

    const all = await audit.recent();
    expect(all.map((e) => [e.type, e.username])).toEqual([
      ['login', 'carol'],
      ['login', 'bob'],
      ['user.disable', 'bob'],
      ['login', 'alice'],
    ]);
    expect(all.map((e) => e.at)).toEqual([T0 + 4_000, T0 + 3_000, T0 + 2_000, T0 + 1_000]);
    expect(new Set(all.map((e) => e.id)).size).toBe(4);

    const logins = await audit.recent({ type: 'login' });
    expect(logins.map((e) => e.username)).toEqual(['carol', 'bob', 'alice']);
    expect(logins.map((e) => e.outcome)).toEqual(['denied', 'failure', 'success']);

    expect((await audit.recent({ type: 'login', limit: 2 })).map((e) => e.username)).toEqual([
      'carol',
      'bob',
    ]);
    expect(await audit.recent({ type: 'never.happened' })).toEqual([]);
  });

  it('round-trips every field and structured details, with absent ones as null and {}', async () => {
    const details = {
      application: 'Microsoft 365',
      factors: ['pwd', 'otp'],
      attempt: 3,
      trusted: false,
      nested: { country: 'NZ', note: 'Ünïcode "quoted" — text' },
    };
    await audit.record({
      type: 'login',
      outcome: 'success',
      reason: 'policy:office',
      username: 'alice',
      userId: 'u-1',
      address: '2001:db8::1',
      details,
    });
    store.clock.advance(1);
    await audit.record({ type: 'startup', outcome: 'info' });

    const [startup, login] = await audit.recent();
    expect(login).toEqual({
      id: expect.any(String),
      at: T0,
      type: 'login',
      outcome: 'success',
      reason: 'policy:office',
      username: 'alice',
      userId: 'u-1',
      address: '2001:db8::1',
      details,
    });
    expect(typeof login!.at).toBe('number');
    expect(startup).toEqual({
      id: expect.any(String),
      at: T0 + 1,
      type: 'startup',
      outcome: 'info',
      reason: null,
      username: null,
      userId: null,
      address: null,
      details: {},
    });
  });
});
