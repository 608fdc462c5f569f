import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Kysely, type Migration, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/store/database.js';
import { StoreErrors } from '../../src/store/errors.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { migrations as builtIn } from '../../src/store/migrations/index.js';

import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { freePort } from '../support/free-port.js';

/** Every built-in migration, in order. */
const ALL = Object.keys(builtIn).sort();

const PASSGATE_TABLES = [
  'audit_events',
  'oidc_payloads',
  'signing_keys',
  'throttle',
  'users',
  'tokens',
  'backup_codes',
  'challenges',
  'passcodes',
  'policies',
  'delivery_attempts',
];

/** Every table, column and index of the database, as comparable text. */
async function schemaOf(database: Database): Promise<string[]> {
  if (database.dialect === 'sqlite') {
    const { rows } = await sql<{ type: string; name: string; sql: string | null }>`
      select type, name, sql from sqlite_master where name not like 'sqlite_%' order by type, name
    `.execute(database.db);
    return rows.map((r) => `${r.type} ${r.name}: ${r.sql}`);
  }
  const columns = await sql<{ entry: string }>`
    select table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
      || ' ' || coalesce(column_default, '') as entry
    from information_schema.columns where table_schema = current_schema()
    order by table_name, column_name
  `.execute(database.db);
  const indexes = await sql<{ entry: string }>`
    select indexdef as entry from pg_indexes where schemaname = current_schema() order by indexname
  `.execute(database.db);
  return [...columns.rows, ...indexes.rows].map((r) => r.entry);
}

async function tableNames(database: Database): Promise<string[]> {
  const tables = await database.db.introspection.getTables({ withInternalKyselyTables: true });
  return tables.map((t) => t.name).sort();
}

async function recordedMigrations(database: Database): Promise<{ name: string; timestamp: string }[]> {
  const { rows } = await sql<{ name: string; timestamp: string }>`
    select name, timestamp from schema_migrations order by name
  `.execute(database.db);
  return rows;
}

/** A migration that does real work (DDL and DML) and then fails half-way. */
const breaksHalfWay: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('half_done')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .execute();
    await sql`insert into half_done (id) values ('x')`.execute(db);
    await sql`update users set disabled = 1`.execute(db);
    await sql`delete from audit_events`.execute(db);
    await sql`this is not valid sql`.execute(db);
  },
};

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

describe.each(BACKENDS)('schema migrations (%s)', (backend) => {
  let testDatabase: TestDatabase;
  let database: Database;
  const others: Database[] = [];

  beforeEach(async () => {
    testDatabase = await createTestDatabase(backend);
    database = await openDatabase(testDatabase.url);
  });

  afterEach(async () => {
    for (const other of others.splice(0)) await other.close();
    await database?.close();
    await testDatabase?.drop();
  });

  async function seed(): Promise<void> {
    await database.db
      .insertInto('users')
      .values({
        id: 'u1',
        username: 'alice',
        display_name: 'Alice',
        email: null,
        mobile: null,
        groups: '["staff"]',
        disabled: 0,
        password_hash: null,
        source: 'local',
        created_at: 1_767_225_600_000,
        updated_at: 1_767_225_600_000,
      })
      .execute();
    await database.db
      .insertInto('audit_events')
      .values({
        id: 'e1',
        at: 1_767_225_600_000,
        type: 'login',
        outcome: 'success',
        reason: null,
        username: 'alice',
        user_id: 'u1',
        address: null,
        details: '{}',
      })
      .execute();
  }

  async function data(): Promise<unknown[]> {
    return [
      await database.db.selectFrom('users').selectAll().execute(),
      await database.db.selectFrom('audit_events').selectAll().execute(),
    ];
  }

  it('creates every table on a fresh database and records the migration', async () => {
    const report = await migrateToLatest(database);
    expect(report.applied).toEqual(ALL);
    const tables = await tableNames(database);
    expect(tables).toEqual(expect.arrayContaining([...PASSGATE_TABLES, 'schema_migrations']));
    expect((await recordedMigrations(database)).map((m) => m.name)).toEqual(ALL);
    for (const table of PASSGATE_TABLES) {
      const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(
        database.db,
      );
      expect(Number(rows[0]!.n)).toBe(0);
    }
  });

  it('applies nothing and changes nothing when run again', async () => {
    await migrateToLatest(database);
    await seed();
    const schema = await schemaOf(database);
    const recorded = await recordedMigrations(database);
    const before = await data();

    expect(await migrateToLatest(database)).toEqual({ applied: [] });
    expect(await migrateToLatest(database)).toEqual({ applied: [] });

    expect(await schemaOf(database)).toEqual(schema);
    expect(await recordedMigrations(database)).toEqual(recorded);
    expect(await data()).toEqual(before);
  });

  it('rolls a failing migration back completely and reports MIGRATION_FAILED naming it', async () => {
    await migrateToLatest(database);
    await seed();
    const schema = await schemaOf(database);
    const recorded = await recordedMigrations(database);
    const before = await data();

    const error = await rejectionOf(migrateToLatest(database, { ...builtIn, '9999-breaks': breaksHalfWay }));
    expect(StoreErrors.is(error, 'MIGRATION_FAILED')).toBe(true);
    expect((error as Error).message).toContain('9999-breaks');

    expect(await tableNames(database)).not.toContain('half_done');
    expect(await schemaOf(database)).toEqual(schema);
    expect(await recordedMigrations(database)).toEqual(recorded);
    expect(await data()).toEqual(before);

    // The lock was released: a corrected release migrates the same database afterwards.
    const fixed: Migration = {
      up: async (db) => {
        await db.schema.createTable('half_done').addColumn('id', 'text').execute();
      },
    };
    expect(await migrateToLatest(database, { ...builtIn, '9999-breaks': fixed })).toEqual({
      applied: ['9999-breaks'],
    });
    expect(await tableNames(database)).toContain('half_done');
  });

  it('rolls back every migration of a run when a later one fails', async () => {
    const error = await rejectionOf(migrateToLatest(database, { ...builtIn, '9999-breaks': breaksHalfWay }));
    expect(StoreErrors.is(error, 'MIGRATION_FAILED')).toBe(true);

    const tables = await tableNames(database);
    for (const table of [...PASSGATE_TABLES, 'half_done']) expect(tables).not.toContain(table);
    expect(await recordedMigrations(database)).toEqual([]);

    expect(await migrateToLatest(database)).toEqual({ applied: ALL });
    expect(await tableNames(database)).toEqual(expect.arrayContaining(PASSGATE_TABLES));
  });

  it('refuses to run an older release against a database migrated by a newer one', async () => {
    const newer: Migration = {
      up: async (db) => {
        await db.schema.createTable('from_the_future').addColumn('id', 'text').execute();
      },
    };
    await migrateToLatest(database, { ...builtIn, '9999-newer': newer });
    const schema = await schemaOf(database);

    const error = await rejectionOf(migrateToLatest(database));
    expect(StoreErrors.is(error, 'MIGRATION_FAILED')).toBe(true);
    expect((error as Error).message).toContain('9999-newer');
    expect(await schemaOf(database)).toEqual(schema);
  });

  it('applies a new migration alone on top of the recorded ones', async () => {
    await migrateToLatest(database);
    await seed();
    const addColumn: Migration = {
      up: async (db) => {
        await db.schema.alterTable('users').addColumn('locale', 'text').execute();
      },
    };
    expect(await migrateToLatest(database, { ...builtIn, '9999-locale': addColumn })).toEqual({
      applied: ['9999-locale'],
    });
    expect((await recordedMigrations(database)).map((m) => m.name)).toEqual([...ALL, '9999-locale']);
    const { rows } = await sql<{ username: string; locale: string | null }>`
      select username, locale from users
    `.execute(database.db);
    expect(rows).toEqual([{ username: 'alice', locale: null }]);
  });
});

describe('schema migrations on PostgreSQL from several processes', () => {
  let testDatabase: TestDatabase;
  const handles: Database[] = [];
  afterEach(async () => {
    for (const handle of handles.splice(0)) await handle.close();
    await testDatabase?.drop();
  });

  it('applies each migration exactly once when several processes migrate at the same time', async () => {
    testDatabase = await createTestDatabase('postgres');
    for (let i = 0; i < 4; i++) handles.push(await openDatabase(testDatabase.url));
    const reports = await Promise.all(handles.map((h) => migrateToLatest(h)));
    expect(reports.flatMap((r) => r.applied)).toEqual(ALL);
    expect((await recordedMigrations(handles[0]!)).map((m) => m.name)).toEqual(ALL);
  });
});

describe('opening a database that cannot be reached', () => {
  it.each([
    ['in the user info', (port: number) => `postgres://passgate:Sup3r-s3cret@127.0.0.1:${port}/passgate`],
    [
      'in the query string',
      (port: number) =>
        `postgres://passgate@127.0.0.1:${port}/passgate?password=Sup3r-s3cret&sslmode=disable`,
    ],
  ])(
    'raises DB_UNREACHABLE for a closed PostgreSQL port without revealing a password %s',
    async (_where, url) => {
      const port = await freePort();
      const started = Date.now();
      const error = await rejectionOf(openDatabase(url(port), { connectTimeoutSeconds: 2 }));
      expect(Date.now() - started).toBeLessThan(5_000);

      expect(StoreErrors.is(error, 'DB_UNREACHABLE')).toBe(true);
      const unreachable = error as Error & { status: number; publicMessage: string };
      expect(unreachable.status).toBe(503);
      expect(unreachable.message).toContain(`127.0.0.1:${port}`);
      expect(unreachable.message).toContain('***');
      expect(unreachable.message).toMatch(/ECONNREFUSED/);
      for (const text of [unreachable.message, unreachable.publicMessage, String(unreachable.stack)]) {
        expect(text).not.toContain('Sup3r-s3cret');
      }
      expect(unreachable.publicMessage).not.toContain('127.0.0.1');
    },
  );

  it('raises DB_UNREACHABLE for an SQLite file that cannot be created', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-sqlite-'));
    const notADirectory = path.join(dir, 'plain-file');
    writeFileSync(notADirectory, 'not a directory');
    const error = await rejectionOf(openDatabase(`sqlite:${path.join(notADirectory, 'passgate.db')}`));
    expect(StoreErrors.is(error, 'DB_UNREACHABLE')).toBe(true);
    expect((error as Error).message).toContain('plain-file');
  });
});
