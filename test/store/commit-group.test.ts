import { CompiledQuery } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { CommitGroup } from '../../src/store/commit-group.js';
import { AuditRepository } from '../../src/store/repositories/audit.js';
import { WriteBatch } from '../../src/store/write-batch.js';
import { BACKENDS, migratedDatabaseOfSuite } from '../support/databases.js';

/** A statement's first two words, lower-case: what the transaction tests compare. */
const firstWords = (sql: string) => sql.split(' ').slice(0, 2).join(' ').toLowerCase();

/** One transaction: two conditional updates, then the events that go with them by one insert. */
const TWO_UPDATES_AND_THEIR_EVENTS = ['begin', 'update throttle', 'update throttle', 'insert into', 'commit'];

describe.each(BACKENDS)('group commit of write batches (%s)', (backend) => {
  const suite = migratedDatabaseOfSuite(backend);
  let audit: AuditRepository;

  beforeAll(() => {
    audit = new AuditRepository(suite.database.db, Date.now);
  });

  /** A batch of one operation: two audit events of user `name`. */
  const batchOf = (name: string) => {
    const batch = new WriteBatch();
    audit.recordIn(batch, { type: 'login.password', outcome: 'success', username: name });
    audit.recordIn(batch, { type: 'login', outcome: 'success', username: name });
    return batch;
  };
  const storedFor = async (name: string) =>
    (await audit.search({ username: name }, { column: 'at', direction: 'asc' }, 10, 0)).map((e) => e.type);

  it('stores the batches of one turn together, their rows of a table by one statement, each caller settled once it is stored', async () => {
    const group = new CommitGroup(suite.database.db);
    const statements: string[] = [];
    const stop = suite.database.observeStatements((sql) => statements.push(sql));
    const names = ['g1', 'g2', 'g3'];
    const batches = names.map(batchOf);
    const settled = batches.map((batch) =>
      batch.commit(group).then(async () => (await storedFor(names[batches.indexOf(batch)]!)).length),
    );
    // Each caller finds its own events stored when its promise settles.
    expect(await Promise.all(settled)).toEqual([2, 2, 2]);
    stop();
    // One statement is a transaction of its own: no begin or commit around it.
    const writes = statements.filter((sql) => !/^select/i.test(sql));
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^insert into "audit_events"/);
    expect(writes[0]!.match(/\((\?|\$)/g)).toHaveLength(6);
    // Committed once: a second call answers as the first did and writes nothing more.
    await batches[0]!.commit(group);
    expect((await storedFor('g1')).sort()).toEqual(['login', 'login.password']);
  });

  it('fails only the batch whose write the store refuses; the others of its turn are stored', async () => {
    const group = new CommitGroup(suite.database.db);
    const bad = batchOf('b2');
    bad.add(suite.database.db, CompiledQuery.raw('insert into no_such_table (x) values (1)', []));
    const results = await Promise.allSettled([
      batchOf('b1').commit(group),
      bad.commit(group),
      batchOf('b3').commit(group),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await storedFor('b1')).toHaveLength(2);
    expect(await storedFor('b2')).toHaveLength(0);
    expect(await storedFor('b3')).toHaveLength(2);
  });

  it('runs the statements of one turn first, in order, in the batches’ transaction: each learns the rows it changed (a code spent once)', async () => {
    const group = new CommitGroup(suite.database.db);
    await suite.database.db.executeQuery(
      CompiledQuery.raw(
        `insert into throttle (key, failures, window_start, blocked_until) values ('spend', 0, 0, 0)`,
        [],
      ),
    );
    const spend = () =>
      group.run(
        CompiledQuery.raw(`update throttle set failures = 1 where key = 'spend' and failures = 0`, []),
      );
    const statements: string[] = [];
    const stop = suite.database.observeStatements((sql) => statements.push(sql));
    const [first, batch, replay] = await Promise.all([spend(), batchOf('s1').commit(group), spend()]);
    stop();
    expect(first.numAffectedRows).toBe(1n);
    expect(batch).toBeUndefined();
    expect(replay.numAffectedRows).toBe(0n);
    expect(statements.map(firstWords)).toEqual(TWO_UPDATES_AND_THEIR_EVENTS);
    expect(await storedFor('s1')).toHaveLength(2);
  });

  it('stores a statement’s conditional batch in its transaction only when the statement changes a row, and marks it stored', async () => {
    const group = new CommitGroup(suite.database.db);
    await suite.database.db.executeQuery(
      CompiledQuery.raw(
        `insert into throttle (key, failures, window_start, blocked_until) values ('accept', 0, 0, 0)`,
        [],
      ),
    );
    const accept = (name: string) => {
      const batch = batchOf(name);
      const result = group.run(
        CompiledQuery.raw(`update throttle set failures = 1 where key = 'accept' and failures = 0`, []),
        batch,
      );
      return { batch, result };
    };
    const statements: string[] = [];
    const stop = suite.database.observeStatements((sql) => statements.push(sql));
    const first = accept('c1');
    const replay = accept('c2');
    expect([(await first.result).numAffectedRows, (await replay.result).numAffectedRows]).toEqual([1n, 0n]);
    stop();
    // One transaction: both updates, then the accepted one's events only, by one insert.
    expect(statements.map(firstWords)).toEqual(TWO_UPDATES_AND_THEIR_EVENTS);
    expect(await storedFor('c1')).toHaveLength(2);
    expect(await storedFor('c2')).toHaveLength(0);
    expect([first.batch.stored, replay.batch.stored]).toEqual([true, false]);
    // Alone in its turn, a conditional statement still runs in a transaction with its batch.
    const alone = accept('c3');
    expect((await alone.result).numAffectedRows).toBe(0n);
    expect(await storedFor('c3')).toHaveLength(0);
    // A batch already committed cannot be made conditional on a statement.
    await expect(
      group.run(CompiledQuery.raw(`update throttle set failures = 2 where key = 'accept'`, []), first.batch),
    ).rejects.toThrow(/new batch/);
  });
});
