import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { checkpointFile, checkpointPeriodically } from '../../src/store/sqlite-checkpointer.js';

describe('SQLite checkpoints from another connection (the primary of server.workers)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-checkpointer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('copies what a connection without periodic checkpoints wrote into the database file', async () => {
    const file = path.join(dir, 'workers.db');
    const writer = new SqliteDatabase(file);
    writer.pragma('journal_mode = WAL');
    const stopWriter = checkpointPeriodically(writer, { periodic: false });
    writer.exec('create table rows (id integer primary key, body text not null)');
    const insert = writer.prepare('insert into rows (body) values (?)');
    writer.transaction(() => {
      for (let i = 0; i < 500; i++) insert.run('x'.repeat(1000));
    })();
    // About 500 KB in the log, under the writer's backstop: nothing in the database file yet.
    const before = statSync(file).size;
    expect(before).toBeLessThan(100_000);
    await sleep(1500);
    expect(statSync(file).size).toBe(before);

    const stop = await checkpointFile(file);
    try {
      const deadline = Date.now() + 5000;
      while (statSync(file).size < 500_000 && Date.now() < deadline) await sleep(100);
      expect(statSync(file).size).toBeGreaterThanOrEqual(500_000);
      // The writer goes on writing while the other connection checkpoints.
      insert.run('after');
      expect(writer.prepare('select count(*) as n from rows').get()).toEqual({ n: 501 });
    } finally {
      stop();
      stopWriter();
      writer.close();
    }
  });

  it('refuses a file that does not exist (the first worker creates it)', async () => {
    await expect(checkpointFile(path.join(dir, 'missing.db'))).rejects.toThrow();
  });
});
