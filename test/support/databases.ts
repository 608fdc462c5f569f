import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { type Database, openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';

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

/** A fresh database of the given backend, migrated to the latest schema, open; `close` closes and drops it. */
export interface MigratedTestDatabase {
  database: Database;
  url: string;
  close(): Promise<void>;
}

/** Creates a fresh database (see {@link createTestDatabase}), opens it and migrates it to the latest schema. */
export async function openMigratedTestDatabase(backend: Backend): Promise<MigratedTestDatabase> {
  const testDatabase = await createTestDatabase(backend);
  const database = await openDatabase(testDatabase.url);
  await migrateToLatest(database);
  return {
    database,
    url: testDatabase.url,
    close: async () => {
      await database.close();
      await testDatabase.drop();
    },
  };
}

/**
 * One migrated database for the tests of the calling `describe` (opened before them, closed and
 * dropped after): read `database` inside tests and hooks registered after this call.
 */
export function migratedDatabaseOfSuite(backend: Backend): { readonly database: Database } {
  let opened: MigratedTestDatabase | undefined;
  beforeAll(async () => {
    opened = await openMigratedTestDatabase(backend);
  });
  afterAll(() => opened?.close());
  return {
    get database() {
      if (!opened)
        throw new Error('the suite’s database is opened in beforeAll: read it inside a test or hook');
      return opened.database;
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
