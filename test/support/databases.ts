import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';

/** The two storage backends every storage-touching test runs against. */
export const BACKENDS = ['sqlite', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

/** A fresh, empty database of the given backend, and how to get rid of it. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database: a new SQLite file, or a new database on the shared PostgreSQL server. */
export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-sqlite-'));
    return { url: `sqlite:${path.join(dir, 'passgate.db')}`, drop: async () => {} };
  }
  const admin = inject('postgresUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  await withPgClient(admin, (client) => client.query(`create database ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await withPgClient(admin, (client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/** Runs `run` with a PostgreSQL client connected to `url`, and disconnects it afterwards. */
export async function withPgClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
