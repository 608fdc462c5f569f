import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDialect,
  type QueryCompiler,
  type QueryResult,
  type SelectQueryNode,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  SqliteQueryCompiler,
  sql,
} from 'kysely';
import { sqliteFileOf } from '../config/database-url.js';
import { describeError } from '../errors.js';
import { StoreErrors } from './errors.js';
import { type ImmediateStatements, type RunNow, registerImmediateStatements } from './immediate.js';
import { checkpointPeriodically } from './sqlite-checkpointer.js';
import { type StatementListener, StatementListeners } from './statement-listeners.js';
import type { Tables } from './tables.js';
import { classifyingDialect, unavailableAs } from './unavailable.js';

/** Which SQL engine a database runs on. */
export type DialectName = 'sqlite' | 'postgres';

/** An open database: the query builder plus what the rest of Passgate needs to know about it. */
export interface Database {
  readonly db: Kysely<Tables>;
  readonly dialect: DialectName;
  /** The URL with any password removed, for logs and messages. */
  readonly displayUrl: string;
  /** Tells `listener` the SQL of every statement from now on (tests, diagnostics); returns the stop function. */
  observeStatements(listener: StatementListener): () => void;
  /** Resolves when the database answers a trivial query, rejects with DB_UNREACHABLE otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Connection settings beyond the URL. */
export interface DatabaseOptions {
  poolSize?: number;
  connectTimeoutSeconds?: number;
  /**
   * Create the SQLite file's folder when missing: only for the embedded default, so that a
   * mistyped path fails instead of starting an empty database.
   */
  createFolder?: boolean;
  /** Told when an open PostgreSQL connection is lost (restart, failover); the pool reconnects by itself. */
  onConnectionLost?: (error: unknown) => void;
  /**
   * SQLite: checkpoint the write-ahead log once a second from this connection (default). False
   * when another process does it for the file (the primary of `server.workers`, see
   * checkpointFile), so that this process's event loop never waits for a checkpoint.
   */
  checkpoints?: boolean;
}

/**
 * Opens the database named by a `sqlite:` or `postgres://` URL and checks that it answers.
 * Differences between the two engines are absorbed here and nowhere else.
 */
export async function openDatabase(url: string, options: DatabaseOptions = {}): Promise<Database> {
  const database = url.startsWith('sqlite:') ? openSqlite(url, options) : await openPostgres(url, options);
  try {
    await database.ping();
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
  return database;
}

/** Removes the password from a database URL. */
export function redactDatabaseUrl(url: string): string {
  if (url.startsWith('sqlite:')) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    // pg also takes the password as a query parameter.
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

/** SQLite supports DDL inside transactions; Kysely's adapter says otherwise to be safe. */
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** How long a statement or a transaction waits for SQLite's write lock held by another process, ms. */
const BUSY_TIMEOUT_MS = 5000;

/** Waits before the next try for the write lock: the first tries after the other turns of the loop, then 1 ms. */
const nextTry = (tries: number) =>
  tries < 3 ? new Promise<void>((resolve) => setImmediate(resolve)) : sleep(1);

/** Whether an SQLite error says another connection holds the lock (SQLITE_BUSY and its extended codes). */
const isBusy = (error: unknown) => String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY');

/**
 * Several server processes share one SQLite file: a transaction takes the write lock when it
 * begins (`begin immediate`), so it can never fail half-way with SQLITE_BUSY when it first writes
 * after reading, and it sees no write of another process until it ends. SQLite's busy handler is
 * off (`busy_timeout = 0`): it sleeps in the thread, so the event loop would stop for each
 * 1–100 ms sleep while the other worker commits. See {@link WaitingSqliteConnection}.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  private waiting: WaitingSqliteConnection | undefined;

  constructor(
    settings: SqliteDialectConfig,
    private readonly handle: SqliteDatabase.Database,
  ) {
    super(settings);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    this.waiting ??= new WaitingSqliteConnection(connection, this.handle);
    return this.waiting;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite's one connection, waiting for another process's write lock without blocking the event
 * loop: a statement outside a transaction (an autocommitted write, or `begin immediate`) that
 * finds the lock taken did nothing (SQLite rolled it back whole), so it is tried again after the
 * loop's other work, for up to BUSY_TIMEOUT_MS, then fails as busy (DB_UNREACHABLE). A statement
 * inside a transaction holds the lock already and never waits.
 */
class WaitingSqliteConnection implements DatabaseConnection {
  constructor(
    private readonly inner: DatabaseConnection,
    private readonly handle: SqliteDatabase.Database,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    let deadline: number | undefined;
    for (let tries = 0; ; tries++) {
      try {
        return await this.inner.executeQuery<R>(query);
      } catch (error) {
        if (!isBusy(error) || this.handle.inTransaction) throw error;
        deadline ??= performance.now() + BUSY_TIMEOUT_MS;
        if (performance.now() >= deadline) throw error;
      }
      await nextTry(tries);
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/** Row locks SQLite has no syntax for (its transactions already hold the whole database's write lock). */
const ROW_LOCKS = new Set(['ForUpdate', 'ForNoKeyUpdate', 'ForShare', 'ForKeyShare', 'NoWait', 'SkipLocked']);

/** Drops `for update` and its kin: a PostgreSQL row lock is, in SQLite, the immediate transaction's lock. */
class SqliteRowLockCompiler extends SqliteQueryCompiler {
  protected override visitSelectQuery(node: SelectQueryNode): void {
    const endModifiers = node.endModifiers?.filter((m) => !m.modifier || !ROW_LOCKS.has(m.modifier));
    super.visitSelectQuery({ ...node, endModifiers });
  }
}

class TransactionalSqliteDialect extends SqliteDialect {
  constructor(
    private readonly settings: SqliteDialectConfig,
    private readonly handle: SqliteDatabase.Database,
  ) {
    super(settings);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings, this.handle);
  }

  override createQueryCompiler(): QueryCompiler {
    return new SqliteRowLockCompiler();
  }

  override createAdapter(): SqliteAdapter {
    return new TransactionalSqliteAdapter();
  }
}

function openSqlite(url: string, options: DatabaseOptions): Database {
  const file = sqliteFileOf(url) as string;
  const displayUrl = url;
  let handle: SqliteDatabase.Database;
  try {
    if (file !== ':memory:' && options.createFolder)
      mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    handle = new SqliteDatabase(file);
    handle.pragma('journal_mode = WAL');
    handle.pragma('synchronous = NORMAL');
    // Waits for another process's lock happen in WaitingSqliteConnection, off the thread's sleep.
    handle.pragma('busy_timeout = 0');
    handle.pragma('foreign_keys = ON');
  } catch (error) {
    throw StoreErrors.DB_UNREACHABLE({ detail: `${displayUrl}: ${describeError(error)}`, cause: error });
  }
  const stopCheckpoints =
    file === ':memory:'
      ? () => {}
      : checkpointPeriodically(handle, { periodic: options.checkpoints ?? true });
  const statements = new StatementListeners();
  const cached = withStatementCache(handle);
  const db = new Kysely<Tables>({
    dialect: classifyingDialect(
      new TransactionalSqliteDialect({ database: cached }, handle),
      displayUrl,
      statements,
    ),
  });
  registerImmediateStatements(
    db,
    sqliteImmediateStatements(handle, cached.prepare, statements, unavailableAs(displayUrl)),
  );
  return {
    db,
    dialect: 'sqlite',
    displayUrl,
    observeStatements: (listener) => statements.add(listener),
    ping: async () => {
      try {
        handle.prepare('select 1').get();
      } catch (error) {
        throw StoreErrors.DB_UNREACHABLE({ detail: `${displayUrl}: ${describeError(error)}`, cause: error });
      }
    },
    close: () => {
      stopCheckpoints();
      return db.destroy();
    },
  };
}

/**
 * The statements of SQLite's connection run at once (see ImmediateStatements): the same prepared
 * statements as Kysely's (`prepare`, the cache), run and answered as Kysely's SQLite driver does,
 * told to the same listeners, their errors classified the same way. A statement or `begin
 * immediate` that finds another process's write lock did nothing (SQLite's busy handler is off):
 * it refuses, and the caller goes through Kysely, whose connection waits for the lock without
 * blocking the event loop (see WaitingSqliteConnection).
 */
function sqliteImmediateStatements(
  handle: SqliteDatabase.Database,
  prepare: (sqlText: string) => SqliteDatabase.Statement,
  listeners: StatementListeners,
  classify: (error: unknown) => unknown,
): ImmediateStatements {
  const begin = handle.prepare('begin immediate');
  const commit = handle.prepare('commit');
  const rollback = handle.prepare('rollback');
  const runNow = <Row>({ sql: sqlText, parameters }: CompiledQuery<Row>): QueryResult<Row> => {
    listeners.tell(sqlText);
    const statement = prepare(sqlText);
    if (statement.reader) return { rows: statement.all(parameters) as Row[] };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  };
  return {
    run<Row>(query: CompiledQuery<Row>) {
      if (handle.inTransaction) return undefined;
      try {
        return runNow(query);
      } catch (error) {
        if (isBusy(error) && !handle.inTransaction) return undefined;
        throw classify(error);
      }
    },
    transaction<T>(work: (run: RunNow) => T) {
      if (handle.inTransaction) return undefined;
      try {
        begin.run();
      } catch (error) {
        if (isBusy(error)) return undefined;
        throw classify(error);
      }
      listeners.tell('begin');
      try {
        const value = work(runNow);
        listeners.tell('commit');
        commit.run();
        return { value };
      } catch (error) {
        if (handle.inTransaction) {
          listeners.tell('rollback');
          rollback.run();
        }
        throw classify(error);
      }
    },
  };
}

/**
 * Kysely prepares every statement anew; preparing costs more than running most of Passgate's
 * queries. The query builder produces a bounded set of SQL texts, so they are kept prepared.
 */
function withStatementCache(handle: SqliteDatabase.Database, limit = 500) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => handle.close(),
    prepare(sqlText: string) {
      let statement = cache.get(sqlText);
      if (!statement) {
        statement = handle.prepare(sqlText);
        if (cache.size >= limit) cache.delete(cache.keys().next().value as string);
        cache.set(sqlText, statement);
      }
      return statement;
    },
  };
}

/** int8 (bigint, count) comes back as a string from pg; every such value Passgate stores fits a double. */
const INT8_OID = 20;

/** pg is imported here, when the URL names PostgreSQL: a server on SQLite never loads it. */
async function openPostgres(url: string, options: DatabaseOptions): Promise<Database> {
  const { default: pg } = await import('pg');
  const pgTypes = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID
        ? (value: string) => Number(value)
        : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const displayUrl = redactDatabaseUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: (options.connectTimeoutSeconds ?? 5) * 1000,
    types: pgTypes,
  });
  // A connection losing its server (restart, failover) emits 'error' on its client, idle in the
  // pool or checked out between two queries; unheard, that event would end the process. Each
  // client is listened to for its whole life; the query in flight fails with DB_UNREACHABLE, the
  // broken client leaves the pool, and the next query opens a new connection.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.onConnectionLost?.(error));
  });
  pool.on('error', () => {}); // the same error, also told by the pool for idle clients
  const statements = new StatementListeners();
  const db = new Kysely<Tables>({
    dialect: classifyingDialect(new PostgresDialect({ pool }), displayUrl, statements),
  });
  return {
    db,
    dialect: 'postgres',
    displayUrl,
    observeStatements: (listener) => statements.add(listener),
    ping: async () => {
      try {
        await sql`select 1`.execute(db);
      } catch (error) {
        if (StoreErrors.is(error, 'DB_UNREACHABLE')) throw error;
        throw StoreErrors.DB_UNREACHABLE({ detail: `${displayUrl}: ${describeError(error)}`, cause: error });
      }
    },
    close: () => db.destroy(),
  };
}
