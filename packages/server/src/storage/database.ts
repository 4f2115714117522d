import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { type HotReads, postgresHotReads, sqliteHotReads } from './hot-reads.js';
import { cachingStatements } from './sqlite-statements.js';
import type { Database } from './tables.js';

export type DialectName = 'sqlite' | 'postgres';

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Folder for files that belong beside the database, such as the master key file. */
  dataDirectory: string;
  /** The PostgreSQL connection pool, for its size gauges; absent on SQLite. */
  pool?: pg.Pool;
  /** The reads of every token and introspection request, through statements prepared once. */
  hotReads: HotReads;
  /** The SQLite connection under the query builder, for statements prepared once; absent on PostgreSQL. */
  sqlite?: SQLite.Database;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Fail instead of creating a SQLite file that does not exist yet. */
  mustExist?: boolean;
  dataDirectory?: string;
  poolSize?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Called when an idle PostgreSQL connection fails, for example when the server restarts. */
  onIdleError?: (error: Error) => void;
}

export class UnsupportedDatabaseError extends Error {
  override name = 'UnsupportedDatabaseError';
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

// int8 columns hold epoch milliseconds and sequence numbers, all far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * Opens the database that TESSERA_DATABASE_URL names: a SQLite file path (created with its
 * folder when missing) or a postgres:// URL.
 */
export function openDatabase(url: string, options: DatabaseOptions = {}): OpenDatabase {
  return isPostgresUrl(url) ? openPostgres(url, options) : openSqlite(url, options);
}

/**
 * Returns the connection settings of a postgres:// URL with READ COMMITTED as each session's
 * isolation level, after any options that the URL or PGOPTIONS give. Tessera's advisory locks
 * rely on it: a statement after the lock wait must see what the lock's holder committed, which
 * a server default of REPEATABLE READ would hide behind the snapshot of the lock statement.
 * pg-connection-string is the parser that pg itself applies to connection strings.
 */
function readCommittedSettings(url: string): pg.PoolConfig {
  const settings = parseConnectionString(url);
  const existing = settings.options ?? process.env.PGOPTIONS ?? '';
  return { ...(settings as pg.PoolConfig), options: `${existing} -c default_transaction_isolation=read\\ committed`.trim() };
}

function openPostgres(url: string, options: DatabaseOptions): OpenDatabase {
  const pool = new pg.Pool({
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    application_name: 'tessera',
    // After the defaults, as pg applies a connection string, so that the URL's own settings win.
    ...readCommittedSettings(url),
  });
  // Without a listener, an idle connection that the server drops would crash the process.
  pool.on('error', (error) => options.onIdleError?.(error));
  // pg-pool removes its listener while a connection is checked out, so a connection that the
  // server drops in the middle of a request would emit 'error' with no listener and crash the
  // process. The request itself still fails with a connection error (503), and pg-pool
  // discards the broken connection when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));

  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    dataDirectory: resolve(options.dataDirectory ?? './data'),
    pool,
    hotReads: postgresHotReads(pool),
    close: () => db.destroy(),
  };
}

function openSqlite(url: string, options: DatabaseOptions): OpenDatabase {
  const path = resolve(url.replace(/^sqlite:(\/\/)?/i, ''));
  if (options.mustExist && !existsSync(path)) {
    throw new UnsupportedDatabaseError(`No database at ${path}; pass the path the server uses with --database-url or TESSERA_DATABASE_URL.`);
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });

  const sqlite = new SQLite(path);
  // WAL lets readers run beside the writer; synchronous=FULL makes each commit durable, and
  // the audit writer's group commit keeps the number of commits low.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');

  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) });
  return {
    db,
    dialect: 'sqlite',
    dataDirectory: resolve(options.dataDirectory ?? dirname(path)),
    hotReads: sqliteHotReads(sqlite),
    sqlite,
    close: () => db.destroy(),
  };
}

/** Connection and availability errors: the request may succeed later, so it gets 503, not 500. */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Errors wrapped on the way up, such as by the migrator, keep the original as cause.
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause !== undefined && cause !== error && isDatabaseUnavailable(cause)) return true;

  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const message = error instanceof Error ? error.message : '';

  if (/^08/.test(code) || ['57P01', '57P02', '57P03', '53300', '53400'].includes(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'SQLITE_BUSY'].includes(code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|connection error|Connection ended unexpectedly/i.test(message);
}
