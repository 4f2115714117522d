import pg from 'pg';
import type { AuditEventRow } from '../storage/tables.js';
import { AUDIT_CHAIN_LOCK } from '../storage/advisory-locks.js';
import { AUDIT_COLUMNS, CHAIN_TAIL_SQL, type ChainTail } from './row-store.js';

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

/**
 * The same insert as a transaction of its own. Two one-time filters, which PostgreSQL evaluates
 * before the first row, take the chain lock and require that no event in the snapshot follows
 * the remembered end (the last parameter). max(seq) stays one index lookup in a generic plan,
 * where `not exists (... seq > $n)` became a scan of the whole table.
 */
const LOCKED_INSERT = {
  name: 'tessera_audit_locked_insert',
  text:
    `${INSERT.text} where (select count(*) from (select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})) as locked) = 1` +
    ` and coalesce((select max(seq) from audit_events), 0) <= $${AUDIT_COLUMNS.length + 1}::bigint`,
};

/**
 * Commits one group of audit events on PostgreSQL in three round trips: the start above, one
 * insert and the commit. Through the query builder it took five (begin, lock, read, insert,
 * commit), and under load each round trip waits for a turn of the event loop. `chain` turns
 * the chain's end into the rows that follow it.
 */
export async function commitAuditGroup(pool: pg.Pool, chain: (tail: ChainTail | undefined) => AuditEventRow[]): Promise<AuditEventRow[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // A query of several statements resolves to one result per statement.
    const results = (await client.query(START)) as unknown as pg.QueryResult<ChainTail>[];
    const rows = chain(results[2].rows[0]);
    await client.query({ ...INSERT, values: columnArrays(rows) });
    await client.query('commit');
    return rows;
  } catch (error) {
    broken = await rollBack(client);
    throw error;
  } finally {
    // A connection whose rollback failed is closed instead of going back to the pool.
    client.release(broken);
  }
}

function columnArrays(rows: AuditEventRow[]): unknown[][] {
  return AUDIT_COLUMNS.map((column) => rows.map((row) => row[column]));
}

/** The time after another writer moved the chain's end during which commits read the end under the lock instead of trusting the remembered end. */
const CONTENDED_MS = 1000;

/**
 * Commits groups of audit events on PostgreSQL, usually in one round trip: a locked insert
 * after the chain's end that its last commit wrote. When another writer appended meanwhile,
 * the insert writes nothing, because the snapshot contains a later event or the primary key
 * rejects a taken seq, and the group commits through commitAuditGroup instead. The snapshot
 * check is needed because pruning deletes events, so the seq after a stale end can be free.
 * An event committed while the insert waits for the lock takes that seq, so the key catches it.
 */
export class PostgresAuditCommit {
  private knownTail: ChainTail | null = null;
  private contendedUntil = 0;

  constructor(private readonly pool: pg.Pool) {}

  async commit(chain: (tail: ChainTail | undefined) => AuditEventRow[]): Promise<void> {
    const tail = this.knownTail;
    this.knownTail = null;

    if (tail !== null && performance.now() >= this.contendedUntil) {
      const rows = chain(tail);
      if (await this.insertAfter(rows)) {
        this.knownTail = rows[rows.length - 1];
        return;
      }
      this.contendedUntil = performance.now() + CONTENDED_MS;
    }

    const rows = await commitAuditGroup(this.pool, chain);
    this.knownTail = rows[rows.length - 1] ?? null;
  }

  /**
   * Inserts rows that follow the remembered end. Returns false, having written nothing, when
   * another writer appended after that end. After an error that PostgreSQL reported, the
   * session is still usable, so the connection goes back to the pool. pg's Pool.query would
   * close it after any error.
   */
  private async insertAfter(rows: AuditEventRow[]): Promise<boolean> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const result = await client.query({ ...LOCKED_INSERT, values: [...columnArrays(rows), Number(rows[0].seq) - 1] });
      return result.rowCount === rows.length;
    } catch (error) {
      if (isTakenSeq(error)) return false;
      if (!(error instanceof pg.DatabaseError)) broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Drops the remembered end, after a transaction on this node that may have appended events. */
  forgetTail(): void {
    this.knownTail = null;
  }
}

/** Returns true for the unique violation of an insert whose first seq another writer took. */
function isTakenSeq(error: unknown): boolean {
  const { code, table } = error as { code?: unknown; table?: unknown };
  return code === '23505' && table === 'audit_events';
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
