import type SQLite from 'better-sqlite3';
import type pg from 'pg';
import { BatchedRead } from './batched-read.js';
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

/**
 * Reads once per turn of the event loop. Each read runs in the check phase, after the requests
 * that arrived in the same turn, so it started after each of its callers arrived. The server
 * then responds to those requests together, instead of one per turn. On a 2-vCPU KVM guest
 * this doubled the introspection rate (docs/performance.md).
 */
export function sqliteHotReads(sqlite: SQLite.Database): HotReads {
  // Prepared on first use, because the tables exist only once migrations have run.
  let statements:
    | { generation: SQLite.Statement<[string], number>; revoked: SQLite.Statement<[string], string>; opaque: SQLite.Statement<[string], string> }
    | undefined;
  const prepared = () =>
    (statements ??= {
      generation: sqlite.prepare<[string], number>('select generation from cache_generations where name = ?').pluck(),
      // The token ids arrive as one JSON array, so that one statement checks a whole batch.
      revoked: sqlite.prepare<[string], string>('select jti from revoked_tokens where jti in (select value from json_each(?))').pluck(),
      opaque: sqlite.prepare<[string], string>('select claims from opaque_tokens where token_hash = ?').pluck(),
    });

  const generation = new BatchedRead<string, number>(
    async () => {
      const value = Number(prepared().generation.get(TOKEN_CLIENTS_GENERATION));
      return () => value;
    },
    { startIn: setImmediate },
  );

  const revoked = new BatchedRead<string, boolean>(
    async (jtis) => {
      const revokedJtis = new Set(prepared().revoked.all(JSON.stringify(jtis)));
      return (jti) => revokedJtis.has(jti);
    },
    { startIn: setImmediate },
  );

  return {
    tokenClientsGeneration() {
      return generation.read(TOKEN_CLIENTS_GENERATION);
    },
    isTokenRevoked(jti) {
      return revoked.read(jti);
    },
    async opaqueTokenClaims(tokenHash) {
      return prepared().opaque.get(tokenHash);
    },
  };
}

/**
 * Named queries, which each pooled connection prepares on first use and reuses. The counter
 * and revocation reads go through batches (batched-read.ts): under load, every request waiting
 * for one of them shares a query that started after it arrived, instead of a round trip each.
 */
export function postgresHotReads(pool: pg.Pool): HotReads {
  const generation = new BatchedRead<string, number>(async () => {
    const result = await pool.query<{ generation: number }>({
      name: 'tessera_token_clients_generation',
      text: 'select generation from cache_generations where name = $1',
      values: [TOKEN_CLIENTS_GENERATION],
    });
    const value = Number(result.rows[0].generation);
    return () => value;
  });

  const revoked = new BatchedRead<string, boolean>(async (jtis) => {
    const result = await pool.query<{ jti: string }>({ name: 'tessera_tokens_revoked', text: 'select jti from revoked_tokens where jti = any($1::text[])', values: [jtis] });
    const revokedJtis = new Set(result.rows.map((row) => row.jti));
    return (jti) => revokedJtis.has(jti);
  });

  return {
    tokenClientsGeneration() {
      return generation.read(TOKEN_CLIENTS_GENERATION);
    },
    isTokenRevoked(jti) {
      return revoked.read(jti);
    },
    async opaqueTokenClaims(tokenHash) {
      const result = await pool.query<{ claims: string }>({ name: 'tessera_opaque_token_claims', text: 'select claims from opaque_tokens where token_hash = $1', values: [tokenHash] });
      return result.rows[0]?.claims;
    },
  };
}
