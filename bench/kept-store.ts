import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { migrations } from '../src/store/migrations/index.js';
import type { Tables } from '../src/store/tables.js';

/** A store of a run: its URL, and what throws it away. */
export interface RunStore {
  url: string;
  drop(): Promise<void>;
}

/** Where kept stores live: SQLite files of a folder, or databases of the kept PostgreSQL cluster. */
interface Shelf {
  url(name: string): string;
  names(): Promise<string[]>;
  /** A copy of `from` (closed) named `to`. */
  copy(from: string, to: string): Promise<void>;
  remove(name: string): Promise<void>;
  create(name: string): Promise<void>;
}

/**
 * A store seeded once and kept in BENCH_STORE_DIR (bench/settings.ts), so that a scenario over a
 * large store (monitoring: 1,000,000 attempts) does not seed it on every run. The kept store is a
 * template named by `name` and the newest migration it ran (`monitoring_1000000_0028`): a run
 * works on a copy of it (a file copy; PostgreSQL's `create database … template`), dropped at the
 * end, so that the server's users, sessions and audit never pile up in it. Code with a newer
 * migration copies the newest older template and migrates the copy (migrations fill what they
 * add from the rows there), so that the same attempts are measured before and after a change; a
 * store without its mark (a seeding that did not finish) is seeded again.
 */
export async function keptStore(options: {
  backend: string;
  /** The run's database (PostgreSQL: in the kept cluster, see bench/run.ts). */
  runUrl: string;
  storeDir: string;
  /** The template's name before the migration level, e.g. `monitoring_1000000`. */
  name: string;
  /** Fills a new store (after the migrations). */
  seed(db: Kysely<Tables>): Promise<void>;
  log(message: string): void;
}): Promise<RunStore> {
  const { backend, name, log } = options;
  const shelf = backend === 'sqlite' ? sqliteShelf(options.storeDir) : postgresShelf(options.runUrl);
  const level = Object.keys(migrations).at(-1)!.slice(0, 4);
  const template = `${name}_${level}`;
  const names = await shelf.names();
  const marked = async (store: string) => names.includes(store) && (await isMarked(shelf.url(store)));
  if (!(await marked(template))) {
    if (names.includes(template)) await shelf.remove(template);
    const older = names
      .filter((store) => store.startsWith(`${name}_`) && store.slice(name.length + 1) < level)
      .sort()
      .reverse();
    let from: string | undefined;
    for (const store of older) if (await marked(store)) from = from ?? store;
    if (from) {
      await shelf.copy(from, template);
      log(`${backend}: kept store ${template} copied from ${from}, to be migrated`);
    } else await shelf.create(template);
  }
  const database = await openDatabase(shelf.url(template));
  try {
    const { applied } = await migrateToLatest(database);
    const seeded = await seededBefore(database.db);
    if (!seeded) {
      const seeding = performance.now();
      await options.seed(database.db);
      await sql`create table bench_seeded (seeded integer not null)`.execute(database.db);
      await sql`insert into bench_seeded (seeded) values (1)`.execute(database.db);
      log(
        `${backend}: kept store ${template} seeded in ${((performance.now() - seeding) / 1000).toFixed(0)} s`,
      );
    } else
      log(`${backend}: kept store ${template}${applied.length ? ` migrated (${applied.join(', ')})` : ''}`);
    // As autovacuum (PostgreSQL) or `PRAGMA optimize` would have by then.
    if (!seeded || applied.length)
      await sql.raw(backend === 'postgres' ? 'vacuum analyze' : 'analyze').execute(database.db);
  } finally {
    await database.close();
  }
  const run = `${name}_run_${process.pid}`;
  await shelf.remove(run);
  await shelf.copy(template, run);
  return { url: shelf.url(run), drop: () => shelf.remove(run) };
}

/** Whether the store at `url` was seeded to the end (its mark is there). */
async function isMarked(url: string): Promise<boolean> {
  const database = await openDatabase(url);
  try {
    return await seededBefore(database.db);
  } finally {
    await database.close();
  }
}

async function seededBefore(db: Kysely<Tables>): Promise<boolean> {
  try {
    return (await sql`select seeded from bench_seeded`.execute(db)).rows.length > 0;
  } catch {
    return false;
  }
}

function sqliteShelf(dir: string): Shelf {
  mkdirSync(dir, { recursive: true });
  const file = (name: string) => path.join(dir, `${name}.db`);
  const remove = async (name: string) => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file(name)}${suffix}`, { force: true });
  };
  return {
    url: (name) => `sqlite:${file(name)}`,
    names: async () =>
      readdirSync(dir)
        .filter((entry) => entry.endsWith('.db'))
        .map((entry) => entry.slice(0, -3)),
    copy: async (from, to) => {
      await remove(to);
      for (const suffix of ['', '-wal'])
        if (existsSync(`${file(from)}${suffix}`))
          copyFileSync(`${file(from)}${suffix}`, `${file(to)}${suffix}`);
    },
    remove,
    create: async () => {},
  };
}

function postgresShelf(clusterUrl: string): Shelf {
  const statement = async <R extends pg.QueryResultRow>(text: string) => {
    const client = new pg.Client({ connectionString: clusterUrl });
    await client.connect();
    try {
      return (await client.query<R>(text)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    url: (name) => {
      const url = new URL(clusterUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    names: async () =>
      (await statement<{ datname: string }>('select datname from pg_database')).map((row) => row.datname),
    copy: async (from, to) => {
      await statement(`create database ${to} template ${from}`);
    },
    remove: async (name) => {
      await statement(`drop database if exists ${name} with (force)`);
    },
    create: async (name) => {
      await statement(`create database ${name}`);
    },
  };
}
