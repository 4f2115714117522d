import type SQLite from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import type { AuditEventRow, Database } from '../storage/tables.js';

/** The end of the audit chain: the seq and hash that the next event follows. */
export type ChainTail = Pick<AuditEventRow, 'seq' | 'hash'>;

/** Reads the end of the audit chain and inserts rows after it, inside the caller's transaction. */
export interface AuditRowStore {
  tail(trx: Kysely<Database>): Promise<ChainTail | undefined>;
  insert(trx: Kysely<Database>, rows: AuditEventRow[]): Promise<void>;
}

export const queryBuilderRowStore: AuditRowStore = {
  tail: async (trx) => (await sql<ChainTail>`${sql.raw(CHAIN_TAIL_SQL)}`.execute(trx)).rows[0],

  async insert(trx, rows) {
    // SQLite caps the number of bound parameters per statement, so insert in slices.
    for (let start = 0; start < rows.length; start += 500) {
      await trx.insertInto('audit_events').values(rows.slice(start, start + 500)).execute();
    }
  },
};

/**
 * The query for the chain's end: the seq and hash of the newest event, or of the newest
 * checkpoint when pruning removed every event. The next event then links to the checkpoint,
 * and seq never goes back, which matters because sinks deliver by seq.
 */
export const CHAIN_TAIL_SQL =
  'select seq, hash from (' +
  'select * from (select seq, hash from audit_events order by seq desc limit 1) as newest_event ' +
  'union all select * from (select seq, hash from audit_checkpoints order by seq desc limit 1) as newest_checkpoint' +
  ') as ends order by seq desc limit 1';

/** The columns of audit_events, in the order of the insert statements. */
export const AUDIT_COLUMNS = [
  'seq', 'occurred_at', 'actor_type', 'actor_id', 'credential_id', 'action', 'target_type', 'target_id',
  'instance_id', 'source_ip', 'user_agent', 'outcome', 'reason', 'details', 'prev_hash', 'hash',
] as const satisfies readonly (keyof AuditEventRow)[];

/**
 * Runs two statements prepared once on the SQLite connection and inserts one row at a time.
 * A group commit has a different number of rows each time, and a multi-row insert built per
 * batch cost more than the rows themselves. The server has one SQLite connection, and the
 * caller runs inside a transaction on it, so these statements run in that transaction.
 */
export function sqliteRowStore(sqlite: SQLite.Database): AuditRowStore {
  let statements: { tail: SQLite.Statement<[], ChainTail>; checkpointTail: SQLite.Statement<[], ChainTail>; insert: SQLite.Statement<unknown[]> } | undefined;
  // Prepared on first use, because the table exists only once migrations have run.
  const prepared = () =>
    (statements ??= {
      tail: sqlite.prepare('select seq, hash from audit_events order by seq desc limit 1'),
      checkpointTail: sqlite.prepare('select seq, hash from audit_checkpoints order by seq desc limit 1'),
      insert: sqlite.prepare(`insert into audit_events (${AUDIT_COLUMNS.join(', ')}) values (${AUDIT_COLUMNS.map(() => '?').join(', ')})`),
    });

  return {
    // The same end as CHAIN_TAIL_SQL in two plain lookups, which cost SQLite less than the union.
    async tail() {
      const { tail, checkpointTail } = prepared();
      const event = tail.get();
      const checkpoint = checkpointTail.get();
      if (event === undefined || checkpoint === undefined) return event ?? checkpoint;
      return Number(checkpoint.seq) > Number(event.seq) ? checkpoint : event;
    },
    async insert(_trx, rows) {
      const { insert } = prepared();
      for (const row of rows) insert.run(AUDIT_COLUMNS.map((column) => row[column]));
    },
  };
}
