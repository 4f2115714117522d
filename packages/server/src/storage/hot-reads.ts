import type SQLite from 'better-sqlite3';
import type pg from 'pg';
import { TOKEN_CLIENTS_GENERATION } from './cache-generations.js';

/**
 * The reads that token and introspection requests make on every request, each run through one
 * statement prepared once, outside the query builder, whose compiling cost more than the
 * reads themselves.
 */
export interface HotReads {
  /** The counter that changes of token client rows raise (cache-generations.ts). */
  tokenClientsGeneration(): Promise<number>;
  isTokenRevoked(jti: string): Promise<boolean>;
  /** The stored claims, as JSON text, of the opaque token with this hash; undefined for an unknown token. */
  opaqueTokenClaims(tokenHash: string): Promise<string | undefined>;
}

export function sqliteHotReads(sqlite: SQLite.Database): HotReads {
  // Prepared on first use, because the tables exist only once migrations have run.
  let statements:
    | { generation: SQLite.Statement<[string], number>; revoked: SQLite.Statement<[string], number>; opaque: SQLite.Statement<[string], string> }
    | undefined;
  const prepared = () =>
    (statements ??= {
      generation: sqlite.prepare<[string], number>('select generation from cache_generations where name = ?').pluck(),
      revoked: sqlite.prepare<[string], number>('select 1 from revoked_tokens where jti = ?').pluck(),
      opaque: sqlite.prepare<[string], string>('select claims from opaque_tokens where token_hash = ?').pluck(),
    });

  return {
    async tokenClientsGeneration() {
      return Number(prepared().generation.get(TOKEN_CLIENTS_GENERATION));
    },
    async isTokenRevoked(jti) {
      return prepared().revoked.get(jti) !== undefined;
    },
    async opaqueTokenClaims(tokenHash) {
      return prepared().opaque.get(tokenHash);
    },
  };
}

/** Named queries, which each pooled connection prepares on first use and reuses. */
export function postgresHotReads(pool: pg.Pool): HotReads {
  return {
    async tokenClientsGeneration() {
      const result = await pool.query<{ generation: number }>({
        name: 'tessera_token_clients_generation',
        text: 'select generation from cache_generations where name = $1',
        values: [TOKEN_CLIENTS_GENERATION],
      });
      return Number(result.rows[0].generation);
    },
    async isTokenRevoked(jti) {
      const result = await pool.query({ name: 'tessera_token_revoked', text: 'select 1 from revoked_tokens where jti = $1', values: [jti] });
      return result.rowCount !== 0;
    },
    async opaqueTokenClaims(tokenHash) {
      const result = await pool.query<{ claims: string }>({ name: 'tessera_opaque_token_claims', text: 'select claims from opaque_tokens where token_hash = $1', values: [tokenHash] });
      return result.rows[0]?.claims;
    },
  };
}
