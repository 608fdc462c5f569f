import { beforeEach, expect, it } from 'vitest';
import { Throttle, type ThrottleRule } from '../../../src/engine/throttle.js';
import { ThrottleRepository } from '../../../src/store/repositories/throttle.js';
import { describeContract, T0 } from './contract-store.js';

describeContract('ThrottleRepository and Throttle', (store) => {
  const rule: ThrottleRule = { maxFailures: 5, windowSeconds: 60 };
  let repository: ThrottleRepository;
  let throttle: Throttle;
  beforeEach(() => {
    repository = new ThrottleRepository(store.database.db);
    throttle = new Throttle(repository, store.clock);
  });
  const charge = (key: string, r: ThrottleRule = rule) => [{ key, rule: r }];

  it('allows exactly maxFailures of 50 concurrent attempts and refuses the rest', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () => throttle.reserve(charge('user:alice'))),
    );
    expect(outcomes.filter((o) => o.allowed)).toHaveLength(5);
    expect(outcomes.filter((o) => !o.allowed)).toHaveLength(45);
    const row = await store.database.db
      .selectFrom('throttle')
      .selectAll()
      .where('key', '=', 'user:alice')
      .executeTakeFirstOrThrow();
    expect(Number(row.failures)).toBe(50);
  });

  it('counts concurrent increments from several server processes without losing any', async () => {
    const handles = await store.handles(3);
    const repositories = handles.map((h) => new ThrottleRepository(h.db));
    const counts = await Promise.all(
      Array.from({ length: 60 }, (_, i) => repositories[i % 3]!.increment('addr:192.0.2.1', T0, 60_000)),
    );
    expect(counts.map((c) => c.failures).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
    for (const count of counts) expect(count.windowStart).toBe(T0);
  });

  it('keeps separate counters per key', async () => {
    for (let i = 0; i < 5; i++) expect(await throttle.reserve(charge('user:a'))).toEqual({ allowed: true });
    expect((await throttle.reserve(charge('user:a'))).allowed).toBe(false);
    expect(await throttle.reserve(charge('user:b'))).toEqual({ allowed: true });
  });

  it('restarts the count when the window has passed', async () => {
    for (let i = 0; i < 5; i++) await throttle.reserve(charge('user:bob'));
    store.clock.advance(59_999);
    expect((await throttle.reserve(charge('user:bob'))).allowed).toBe(false);

    store.clock.set(T0 + 60_000);
    expect(await throttle.reserve(charge('user:bob'))).toEqual({ allowed: true });
    for (let i = 0; i < 4; i++) expect((await throttle.reserve(charge('user:bob'))).allowed).toBe(true);
    expect((await throttle.reserve(charge('user:bob'))).allowed).toBe(false);
    expect(await repository.increment('user:bob', store.clock(), 60_000)).toEqual({
      failures: 7,
      windowStart: T0 + 60_000,
    });
  });

  it('tells a refused caller to retry when the window ends', async () => {
    for (let i = 0; i < 5; i++) await throttle.reserve(charge('user:carol'));
    store.clock.advance(10_000);
    expect(await throttle.reserve(charge('user:carol'))).toEqual({
      allowed: false,
      retryAfterSeconds: 50,
      firstRefusals: ['user:carol'],
    });
    store.clock.advance(49_500);
    expect(await throttle.reserve(charge('user:carol'))).toEqual({ allowed: false, retryAfterSeconds: 1 });
    store.clock.advance(500);
    expect(await throttle.reserve(charge('user:carol'))).toEqual({ allowed: true });
  });

  it('refuses when any of several counters is exhausted and reports the longest wait', async () => {
    const perUser: ThrottleRule = { maxFailures: 1, windowSeconds: 30 };
    const perAddress: ThrottleRule = { maxFailures: 3, windowSeconds: 300 };
    // The address counter comes first, so the longest wait is not simply the last one computed.
    const from = (user: string) => [
      { key: 'addr:198.51.100.7', rule: perAddress },
      { key: `user:${user}`, rule: perUser },
    ];
    expect(await throttle.reserve(from('dan'))).toEqual({ allowed: true });
    store.clock.advance(1_000);
    expect(await throttle.reserve(from('dan'))).toEqual({
      allowed: false,
      retryAfterSeconds: 29,
      firstRefusals: ['user:dan'],
    });
    store.clock.advance(1_000);
    expect(await throttle.reserve(from('erin'))).toEqual({ allowed: true });
    store.clock.advance(1_000);
    expect(await throttle.reserve(from('fay'))).toEqual({
      allowed: false,
      retryAfterSeconds: 297,
      firstRefusals: ['addr:198.51.100.7'],
    });
    store.clock.advance(1_000);
    expect(await throttle.reserve(from('dan'))).toEqual({ allowed: false, retryAfterSeconds: 296 });
  });

  it('gives back one attempt on refund, never going below zero', async () => {
    for (let i = 0; i < 5; i++) await throttle.reserve(charge('user:erin'));
    await throttle.refund('user:erin');
    expect(await throttle.reserve(charge('user:erin'))).toEqual({ allowed: true });
    expect((await throttle.reserve(charge('user:erin'))).allowed).toBe(false);

    await throttle.reserve(charge('user:frank'));
    for (let i = 0; i < 3; i++) await throttle.refund('user:frank');
    for (let i = 0; i < 5; i++) expect((await throttle.reserve(charge('user:frank'))).allowed).toBe(true);
    expect((await throttle.reserve(charge('user:frank'))).allowed).toBe(false);
  });

  it('records until when a counter refuses attempts, and forgets it when a refund brings it under the limit', async () => {
    for (let i = 0; i < 4; i++) await throttle.reserve(charge('user:ivan'));
    expect(await throttle.state('user:ivan', rule)).toMatchObject({ failures: 4, blockedUntil: 0 });
    await throttle.reserve(charge('user:ivan'));
    expect(await throttle.state('user:ivan', rule)).toMatchObject({
      failures: 5,
      blockedUntil: T0 + 60_000,
    });
    await throttle.refund('user:ivan', rule);
    expect(await throttle.state('user:ivan', rule)).toMatchObject({ failures: 4, blockedUntil: 0 });
    const sliding = { ...rule, sliding: true };
    for (let i = 0; i < 5; i++) await throttle.reserve(charge('user:judy', sliding));
    store.clock.advance(10_000);
    await throttle.reserve(charge('user:judy', sliding));
    expect(await throttle.state('user:judy', sliding)).toMatchObject({ blockedUntil: T0 + 70_000 });
    store.clock.advance(60_000);
    expect(await throttle.state('user:judy', sliding)).toBeUndefined();
  });

  it('ignores a refund of a counter that does not exist', async () => {
    await throttle.refund('user:nobody');
    const rows = await store.database.db.selectFrom('throttle').selectAll().execute();
    expect(rows).toEqual([]);
  });

  it('forgets every failure of one counter on clear and leaves the others alone', async () => {
    for (let i = 0; i < 6; i++) {
      await throttle.reserve(charge('user:grace'));
      await throttle.reserve(charge('user:heidi'));
    }
    await throttle.clear('user:grace');
    for (let i = 0; i < 5; i++) expect((await throttle.reserve(charge('user:grace'))).allowed).toBe(true);
    expect((await throttle.reserve(charge('user:heidi'))).allowed).toBe(false);
  });

  it('charges counters with different rules in one statement, each by its own rule', async () => {
    const perUser: ThrottleRule = { maxFailures: 2, windowSeconds: 30, sliding: true };
    const perAddress: ThrottleRule = { maxFailures: 3, windowSeconds: 300 };
    const both = [
      { key: 'user:kim', rule: perUser },
      { key: 'addr:203.0.113.9', rule: perAddress },
    ];
    const statements: string[] = [];
    const stop = store.database.observeStatements((sql) => statements.push(sql));
    expect(await throttle.reserve(both)).toEqual({ allowed: true });
    stop();
    expect(statements).toHaveLength(1);
    store.clock.advance(10_000);
    expect(await throttle.reserve(both)).toEqual({ allowed: true });
    store.clock.advance(10_000);
    // The user's sliding window (30 s from the last charge) refuses; the address has one left.
    expect(await throttle.reserve(both)).toEqual({
      allowed: false,
      retryAfterSeconds: 30,
      firstRefusals: ['user:kim'],
    });
    expect(await throttle.state('user:kim', perUser)).toMatchObject({
      failures: 3,
      windowStart: T0 + 20_000,
      blockedUntil: T0 + 50_000,
    });
    expect(await throttle.state('addr:203.0.113.9', perAddress)).toMatchObject({
      failures: 3,
      windowStart: T0,
      blockedUntil: T0 + 300_000,
    });
  });

  it('settles in one statement: a cleared counter starts afresh, a refunded one gives one back and unblocks', async () => {
    const rule3: ThrottleRule = { maxFailures: 3, windowSeconds: 60 };
    const both = [
      { key: 'user:lea', rule: rule3 },
      { key: 'addr:203.0.113.10', rule: rule3 },
    ];
    for (let i = 0; i < 3; i++) await throttle.reserve(both);
    expect(await throttle.state('addr:203.0.113.10', rule3)).toMatchObject({ blockedUntil: T0 + 60_000 });
    store.clock.advance(30_000);
    const statements: string[] = [];
    const stop = store.database.observeStatements((sql) => statements.push(sql));
    await throttle.settle({ cleared: ['user:lea'], refunded: ['addr:203.0.113.10'] });
    stop();
    expect(statements).toHaveLength(1);
    expect(await throttle.state('user:lea', rule3)).toBeUndefined();
    expect(await throttle.state('addr:203.0.113.10', rule3)).toMatchObject({ failures: 2, blockedUntil: 0 });
    // The cleared counter's next failure opens a new window, as a new counter's would.
    expect(await throttle.reserve([{ key: 'user:lea', rule: rule3 }])).toEqual({ allowed: true });
    expect(await throttle.state('user:lea', rule3)).toMatchObject({ failures: 1, windowStart: T0 + 30_000 });
    await throttle.settle({ refunded: ['user:lea', 'addr:203.0.113.10'] });
    expect(await throttle.state('user:lea', rule3)).toBeUndefined();
    expect(await throttle.state('addr:203.0.113.10', rule3)).toMatchObject({ failures: 1 });
  });

  it('prunes only counters whose window and block both ended', async () => {
    await repository.increment('old', T0, 60_000);
    await repository.increment('recent', T0 + 120_000, 60_000);
    await store.database.db
      .insertInto('throttle')
      .values({ key: 'blocked', failures: 9, window_start: T0, blocked_until: T0 + 1_000_000 })
      .execute();
    await repository.prune(T0 + 60_000);
    const keys = await store.database.db.selectFrom('throttle').select('key').orderBy('key').execute();
    expect(keys.map((k) => k.key)).toEqual(['blocked', 'recent']);
  });
});
