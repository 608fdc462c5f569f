import { describe, expect, it } from 'vitest';
import { preparedQuery } from '../../src/store/prepared-query.js';
import { BACKENDS, migratedDatabaseOfSuite } from '../support/databases.js';

describe.each(BACKENDS)('prepared queries (%s)', (backend) => {
  const suite = migratedDatabaseOfSuite(backend);

  it('runs the statement built once with each call’s arguments, an argument used twice in both places', async () => {
    const { db } = suite.database;
    const statements: string[] = [];
    const stop = suite.database.observeStatements((sql) => statements.push(sql));
    const upsert = preparedQuery(db, ['key', 'failures'], ({ key, failures }) =>
      db
        .insertInto('throttle')
        .values({ key, failures, window_start: 7, blocked_until: 0 })
        .onConflict((oc) => oc.column('key').doUpdateSet({ failures })),
    );
    const find = preparedQuery(db, ['key'], ({ key }) =>
      db.selectFrom('throttle').select(['key', 'failures', 'window_start']).where('key', '=', key),
    );
    await upsert({ key: 'a', failures: 1 });
    await upsert({ key: 'b', failures: 2 });
    await upsert({ key: 'a', failures: 5 });
    stop();
    expect((await find({ key: 'a' })).rows).toEqual([{ key: 'a', failures: 5, window_start: 7 }]);
    expect((await find({ key: 'b' })).rows).toEqual([{ key: 'b', failures: 2, window_start: 7 }]);
    expect((await find({ key: 'c' })).rows).toEqual([]);
    // One SQL text for the three calls: the same statement, other parameters.
    expect(new Set(statements).size).toBe(1);
  });

  it('binds arguments given by position in the order of the names, an argument used twice in both places', async () => {
    const { db } = suite.database;
    const upsert = preparedQuery(db, ['failures', 'key'], ({ key, failures }) =>
      db
        .insertInto('throttle')
        .values({ key, failures, window_start: 9, blocked_until: 0 })
        .onConflict((oc) => oc.column('key').doUpdateSet({ failures })),
    );
    const bound = upsert.queryOf([3, 'p']);
    expect(bound.parameters).toEqual(upsert.query({ key: 'p', failures: 3 }).parameters);
    await db.executeQuery(bound);
    await db.executeQuery(upsert.queryOf([4, 'p']));
    const rows = await db
      .selectFrom('throttle')
      .select(['key', 'failures', 'window_start'])
      .where('key', '=', 'p')
      .execute();
    expect(rows).toEqual([{ key: 'p', failures: 4, window_start: 9 }]);
  });

  it('refuses an argument the query never uses (it would be silently dropped)', async () => {
    const { db } = suite.database;
    const find = preparedQuery(db, ['key', 'unused'], ({ key }) =>
      db.selectFrom('throttle').select('key').where('key', '=', key),
    );
    expect(() => find({ key: 'a', unused: 1 })).toThrow(/never uses unused/);
  });
});
