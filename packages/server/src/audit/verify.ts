import type { Kysely } from 'kysely';
import type { Database } from '../storage/tables.js';
import { GENESIS_HASH, hashEvent } from './chain.js';

export interface ChainReport {
  ok: boolean;
  eventsChecked: number;
  /** The first event whose stored values do not match the chain, when `ok` is false. */
  firstBrokenSeq?: number;
  problem?: string;
}

const PAGE = 1000;

/**
 * Recomputes the audit hash chain from the first event and reports the first break.
 * NOTE: removing the newest events leaves a shorter chain that still verifies. Detecting that
 * needs the chain's head recorded outside the database, which Tessera does not do yet.
 */
export async function verifyAuditChain(db: Kysely<Database>, chainKey: Buffer): Promise<ChainReport> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;

  for (;;) {
    const rows = await db.selectFrom('audit_events').selectAll().where('seq', '>=', expectedSeq).orderBy('seq').limit(PAGE).execute();
    if (rows.length === 0) return { ok: true, eventsChecked: checked };

    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq) {
        return { ok: false, eventsChecked: checked, firstBrokenSeq: expectedSeq, problem: `event ${expectedSeq} is missing (next stored event is ${seq})` };
      }
      if (row.prev_hash !== prevHash) {
        return { ok: false, eventsChecked: checked, firstBrokenSeq: seq, problem: `event ${seq} does not link to the hash of event ${seq - 1}` };
      }
      const { hash, ...rest } = row;
      if (hashEvent({ ...rest, seq, occurred_at: Number(row.occurred_at) }, chainKey) !== hash) {
        return { ok: false, eventsChecked: checked, firstBrokenSeq: seq, problem: `event ${seq} was changed after it was written (its hash does not match its fields)` };
      }
      prevHash = hash;
      expectedSeq += 1;
      checked += 1;
    }
  }
}
