import type SQLite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';
import { LRUCache } from 'lru-cache';

/** Distinct SQL texts kept prepared; queries built with a varying number of values make new texts. */
const MAX_CACHED_STATEMENTS = 512;

/**
 * Hands Kysely's SQLite driver a prepared statement per SQL text, prepared once and reused.
 * Kysely prepares every query again, and on the token path preparing cost as much CPU as
 * running the queries. A statement that is still being iterated (a streamed query) is busy
 * and cannot run a second query, so a busy one is bypassed with a fresh, uncached statement.
 */
export function cachingStatements(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new LRUCache<string, SQLite.Statement>({ max: MAX_CACHED_STATEMENTS });

  return {
    prepare(sql: string) {
      const cached = statements.get(sql);
      if (cached && !cached.busy) return cached;
      if (cached) return sqlite.prepare(sql);

      const statement = sqlite.prepare(sql);
      statements.set(sql, statement);
      return statement;
    },
    close() {
      statements.clear();
      sqlite.close();
    },
  };
}
