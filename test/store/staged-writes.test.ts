import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { CommitGroup } from '../../src/store/commit-group.js';
import { StagedWrites } from '../../src/store/staged-writes.js';
import { BACKENDS, migratedDatabaseOfSuite } from '../support/databases.js';

describe.each(BACKENDS)('writes staged until the answer (%s)', (backend) => {
  const suite = migratedDatabaseOfSuite(backend);

  const dialectParam = (i: number) => (backend === 'sqlite' ? '?' : `$${i}`);
  const upsert = (id: string, payload: string) =>
    CompiledQuery.raw(
      `insert into oidc_payloads (model, id, payload) values ('T', ${dialectParam(1)}, ${dialectParam(2)}) ` +
        `on conflict (model, id) do update set payload = excluded.payload`,
      [id, payload],
    );
  const payloadOf = async (id: string) =>
    (
      await suite.database.db
        .selectFrom('oidc_payloads')
        .select('payload')
        .where('model', '=', 'T')
        .where('id', '=', id)
        .executeTakeFirst()
    )?.payload;

  it("commits one turn's writes in one transaction, and settles once they are stored", async () => {
    const staged = new StagedWrites(new CommitGroup(suite.database.db));
    const statements: string[] = [];
    const stop = suite.database.observeStatements((sql) => statements.push(sql.split(' ')[0]!.toLowerCase()));
    const mark = staged.mark();
    staged.stage(upsert('a', '1'));
    staged.stage(upsert('b', '1'));
    staged.stage(upsert('a', '2'));
    expect(await payloadOf('a')).toBeUndefined();
    await staged.settled(mark);
    stop();
    expect(await payloadOf('a')).toBe('2');
    expect(await payloadOf('b')).toBe('1');
    expect(statements.filter((s) => s !== 'select')).toEqual([
      'begin',
      'insert',
      'insert',
      'insert',
      'commit',
    ]);
  });

  it('keeps the staging order across turns, and a settled caller finds every write it staged stored', async () => {
    const staged = new StagedWrites(new CommitGroup(suite.database.db));
    const mark = staged.mark();
    for (let i = 1; i <= 5; i++) {
      staged.stage(upsert('c', String(i)));
      // The next write comes in a later turn, while this one may still be committing.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await staged.settled(mark);
    expect(await payloadOf('c')).toBe('5');
  });

  it('fails every caller that marked before a staged write failed, and no caller that marked after', async () => {
    const staged = new StagedWrites(new CommitGroup(suite.database.db));
    const before = staged.mark();
    staged.stage(upsert('d', '1'));
    staged.stage(CompiledQuery.raw('insert into no_such_table (x) values (1)', []));
    await expect(staged.settled(before)).rejects.toThrow();
    // The other write of that turn is stored all the same (the group retries its writes one by one).
    expect(await payloadOf('d')).toBe('1');
    const after = staged.mark();
    staged.stage(upsert('e', '1'));
    await expect(staged.settled(after)).resolves.toBeUndefined();
    expect(await payloadOf('e')).toBe('1');
  });
});
