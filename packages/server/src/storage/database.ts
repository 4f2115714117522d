import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './tables.js';

export type DialectName = 'sqlite' | 'postgres';

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Folder for files that belong beside the database, such as the master key file. */
  dataDirectory: string;
  close(): Promise<void>;
}

export class UnsupportedDatabaseError extends Error {
  override name = 'UnsupportedDatabaseError';
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * Opens the database that TESSERA_DATABASE_URL names: a SQLite file path (created with its
 * folder when missing) or a postgres:// URL.
 */
export function openDatabase(url: string, options: { mustExist?: boolean } = {}): OpenDatabase {
  if (isPostgresUrl(url)) {
    // TODO: PostgreSQL storage; the repositories already use only Kysely queries that both dialects run.
    throw new UnsupportedDatabaseError('PostgreSQL is not supported yet; set TESSERA_DATABASE_URL to a SQLite file path such as ./data/tessera.db.');
  }

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

  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    dialect: 'sqlite',
    dataDirectory: dirname(path),
    close: () => db.destroy(),
  };
}
