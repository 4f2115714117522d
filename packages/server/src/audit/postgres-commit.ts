import type pg from 'pg';
import type { AuditEventRow } from '../storage/tables.js';
import { AUDIT_COLUMNS, CHAIN_TAIL_SQL } from './row-store.js';

/** Key of the PostgreSQL advisory lock that serializes appends to the audit chain. */
export const AUDIT_CHAIN_LOCK = 7_310_001;

/**
 * Starts the transaction, takes the chain lock and reads the chain's end in one simple query.
 * Under READ COMMITTED each statement of a simple query starts with a new snapshot (PostgreSQL
 * manual, "Read Committed Isolation Level"), so the read includes what another node committed
 * while this one waited for the lock.
 */
const START = `begin; select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK}); ${CHAIN_TAIL_SQL}`;

const COLUMN_TYPES: Record<(typeof AUDIT_COLUMNS)[number], string> = {
  seq: 'bigint',
  occurred_at: 'bigint',
  actor_type: 'text',
  actor_id: 'text',
  credential_id: 'text',
  action: 'text',
  target_type: 'text',
  target_id: 'text',
  instance_id: 'text',
  source_ip: 'text',
  user_agent: 'text',
  outcome: 'text',
  reason: 'text',
  details: 'text',
  prev_hash: 'text',
  hash: 'text',
};

/** One array parameter per column, so that one named statement inserts a batch of any size. */
const INSERT = {
  name: 'tessera_audit_insert',
  text: `insert into audit_events (${AUDIT_COLUMNS.join(', ')}) select * from unnest(${AUDIT_COLUMNS.map((column, index) => `$${index + 1}::${COLUMN_TYPES[column]}[]`).join(', ')})`,
};

export type ChainTail = Pick<AuditEventRow, 'seq' | 'hash'>;

/**
 * Commits one group of audit events on PostgreSQL in three round trips: the start above, one
 * insert and the commit. Through the query builder it took five (begin, lock, read, insert,
 * commit), and under load each round trip waits for a turn of the event loop. `chain` turns
 * the chain's end into the rows that follow it.
 */
export async function commitAuditGroup(pool: pg.Pool, chain: (tail: ChainTail | undefined) => AuditEventRow[]): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // A query of several statements resolves to one result per statement.
    const results = (await client.query(START)) as unknown as pg.QueryResult<ChainTail>[];
    const rows = chain(results[2].rows[0]);
    await client.query({ ...INSERT, values: AUDIT_COLUMNS.map((column) => rows.map((row) => row[column])) });
    await client.query('commit');
  } catch (error) {
    broken = await rollBack(client);
    throw error;
  } finally {
    // A connection whose rollback failed is closed instead of going back to the pool.
    client.release(broken);
  }
}

/** Rolls back a failed transaction. Returns the rollback's error when the connection is unusable. */
async function rollBack(client: pg.PoolClient): Promise<Error | undefined> {
  try {
    await client.query('rollback');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
