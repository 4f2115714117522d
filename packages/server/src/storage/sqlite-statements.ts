import type SQLite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** Distinct SQL texts kept prepared; queries built with a varying number of values make new texts. */
const MAX_CACHED_STATEMENTS = 512;

/**
 * Hands Kysely's SQLite driver a prepared statement per SQL text, prepared once and reused.
 * Kysely prepares every query again, and on the token path preparing cost as much CPU as
 * running the queries. A statement that is still being iterated (a streamed query) is busy
 * and cannot run a second query, so a busy one is bypassed with a fresh, uncached statement.
 */
export function cachingStatements(sqlite: SQLite.Database): SqliteDatabase {
  // A Map iterates in insertion order, so re-inserting on use makes its first key the least recently used.
  const statements = new Map<string, SQLite.Statement>();

  return {
    prepare(sql: string) {
      const cached = statements.get(sql);
      if (cached && !cached.busy) {
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      if (cached) return sqlite.prepare(sql);

      const statement = sqlite.prepare(sql);
      statements.set(sql, statement);
      if (statements.size > MAX_CACHED_STATEMENTS) statements.delete(statements.keys().next().value!);
      return statement;
    },
    close() {
      statements.clear();
      sqlite.close();
    },
  };
}
