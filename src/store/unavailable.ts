import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { describeError } from '../errors.js';
import { StoreErrors } from './errors.js';
import { StatementListeners } from './statement-listeners.js';

/**
 * PostgreSQL SQLSTATEs that mean "the server is not there for us right now": connection
 * exceptions (class 08), insufficient resources (class 53: too many connections, disk full),
 * and an operator or crash shutting it down or starting it up (57P01-57P03).
 */
const UNAVAILABLE_SQLSTATE = /^(08|53)|^57P0[123]$/;

/** Socket errors on the way to a database server. */
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLite result codes of a database that is locked by another writer or cannot be read or written. */
const UNAVAILABLE_SQLITE_CODE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|PROTOCOL)(_|$)/;

/** What node-postgres says, without a code, about a connection it lost or could not open. */
const UNAVAILABLE_PG_MESSAGE =
  /^Connection terminated|is not queryable|timeout exceeded when trying to connect|Connection terminated due to connection timeout/;

/**
 * True when a driver error says the database cannot be used right now (it went away, is
 * restarting, refuses connections, or is locked), as opposed to a fault in the query or the data.
 * The one place that knows the drivers' codes for it.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_SOCKET_CODES.has(code) || UNAVAILABLE_SQLITE_CODE.test(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return UNAVAILABLE_SQLSTATE.test(code);
  }
  return UNAVAILABLE_PG_MESSAGE.test(error.message);
}

/**
 * Wraps a Kysely dialect so that every error of its driver that means "database unavailable"
 * becomes the store's DB_UNREACHABLE (status 503) on its way out: every door (pages, OIDC, SAML,
 * background jobs) then meets one error of the project's model instead of driver internals.
 */
export function classifyingDialect(
  dialect: Dialect,
  displayUrl: string,
  statements: StatementListeners = new StatementListeners(),
): Dialect {
  const classify = unavailableAs(displayUrl);
  return {
    createDriver: () => new ClassifyingDriver(dialect.createDriver(), classify, statements),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}

type Classify = (error: unknown) => unknown;

/**
 * What an error of the database at `displayUrl` becomes on its way out: DB_UNREACHABLE when it
 * means the database is unavailable ({@link isDatabaseUnavailable}), else itself.
 */
export function unavailableAs(displayUrl: string): Classify {
  return (error) =>
    isDatabaseUnavailable(error)
      ? StoreErrors.DB_UNREACHABLE({ detail: `${displayUrl}: ${describeError(error)}`, cause: error })
      : error;
}

async function guarded<T>(classify: Classify, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw classify(error);
  }
}

class ClassifyingConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly classify: Classify,
    private readonly statements: StatementListeners,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.statements.tell(query.sql);
    return guarded(this.classify, () => this.inner.executeQuery<R>(query));
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    this.statements.tell(query.sql);
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (error) {
      throw this.classify(error);
    }
  }
}

const innerOf = (connection: DatabaseConnection) => (connection as ClassifyingConnection).inner;

class ClassifyingDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly classify: Classify,
    private readonly statements: StatementListeners,
  ) {}

  init(): Promise<void> {
    return guarded(this.classify, () => this.inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await guarded(this.classify, () => this.inner.acquireConnection());
    return new ClassifyingConnection(connection, this.classify, this.statements);
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    this.statements.tell('begin');
    return guarded(this.classify, () => this.inner.beginTransaction(innerOf(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    this.statements.tell('commit');
    return guarded(this.classify, () => this.inner.commitTransaction(innerOf(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.statements.tell('rollback');
    return guarded(this.classify, () => this.inner.rollbackTransaction(innerOf(connection)));
  }

  savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    return guarded(this.classify, () => this.inner.savepoint!(innerOf(connection), name, compile));
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    return guarded(this.classify, () => this.inner.rollbackToSavepoint!(innerOf(connection), name, compile));
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    return guarded(this.classify, () => this.inner.releaseSavepoint!(innerOf(connection), name, compile));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return guarded(this.classify, () => this.inner.releaseConnection(innerOf(connection)));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
