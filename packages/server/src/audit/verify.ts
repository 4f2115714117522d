import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditCheckpointRow, Database } from '../storage/tables.js';
import { GENESIS_HASH, hashEvent } from './chain.js';
import { checkpointSignatureValid } from './checkpoint-signing.js';

export interface ChainReport {
  ok: boolean;
  eventsChecked: number;
  /** The first event whose stored values do not match the chain, when `ok` is false. */
  firstBrokenSeq?: number;
  /** The checkpoint that failed its check, when that is what broke. */
  brokenCheckpointId?: string;
  problem?: string;
  /** The newest checkpoint, which the remaining chain starts from; absent when nothing was pruned. */
  startCheckpoint?: { id: string; seq: number };
  /** The newest event checked, for recording outside the database and passing back as `expectHead`. */
  head?: { seq: number; hash: string };
  checkpointsChecked: number;
  /** False when `expectHead` names an event older than the newest checkpoint, which was pruned and cannot be compared. */
  expectHeadChecked?: boolean;
}

export interface VerifyOptions {
  /** Public key of the checkpoint signer; checkpoints cannot be trusted without it. */
  checkpointKey?: KeyObject;
  /** A head recorded earlier (from a previous verify, a sink or a checkpoint): that event must still be there, unchanged. */
  expectHead?: { seq: number; hash: string };
}

const PAGE = 1000;

function broken(report: Partial<ChainReport> & { problem: string }, checked: number, checkpoints: number): ChainReport {
  return { ...report, ok: false, eventsChecked: checked, checkpointsChecked: checkpoints };
}

/**
 * Checks every checkpoint's signature and that they follow each other, so that the newest
 * one can be trusted as the chain's start, and returns it.
 */
function checkCheckpoints(rows: AuditCheckpointRow[], key: KeyObject | undefined): { start?: AuditCheckpointRow; failure?: ChainReport } {
  if (rows.length === 0) return {};
  if (!key) return { failure: broken({ problem: `${rows.length} checkpoint(s) exist but no checkpoint public key was given to check their signatures` }, 0, 0) };

  let previousSeq = 0;
  for (const [index, row] of rows.entries()) {
    if (!checkpointSignatureValid(row, key)) {
      return { failure: broken({ brokenCheckpointId: row.id, problem: `checkpoint ${row.id} (events ${row.first_seq} to ${row.seq}) has an invalid signature, so it was changed or not written by this server` }, 0, index) };
    }
    if (Number(row.first_seq) <= previousSeq) {
      return { failure: broken({ brokenCheckpointId: row.id, problem: `checkpoint ${row.id} starts at event ${row.first_seq}, which an earlier checkpoint already covers` }, 0, index) };
    }
    previousSeq = Number(row.seq);
  }
  return { start: rows.at(-1) };
}

/**
 * Recomputes the audit hash chain and reports the first break. The chain starts at the first
 * event, or after the newest signed checkpoint when old events were pruned.
 * NOTE: removing the newest events leaves a shorter chain that still verifies, unless
 * `expectHead` names an event recorded elsewhere (a sink receives every event's hash) or a
 * checkpoint shows that events existed after the point where the log now ends.
 */
export async function verifyAuditChain(db: Kysely<Database>, chainKey: Buffer, options: VerifyOptions = {}): Promise<ChainReport> {
  const checkpoints = await db.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute();
  const { start, failure } = checkCheckpoints(checkpoints, options.checkpointKey);
  if (failure) return failure;

  const startCheckpoint = start ? { id: start.id, seq: Number(start.seq) } : undefined;
  let expectedSeq = start ? Number(start.seq) + 1 : 1;
  let prevHash = start?.hash ?? GENESIS_HASH;
  let checked = 0;
  let head: { seq: number; hash: string } | undefined;
  const fail = (report: Partial<ChainReport> & { problem: string }) => broken({ ...report, startCheckpoint }, checked, checkpoints.length);

  // The newest checkpoint carries the hash of the last pruned event, so a head at exactly that seq can still be compared.
  const expect = options.expectHead;
  if (expect && start && expect.seq === Number(start.seq) && expect.hash !== start.hash) {
    return fail({ brokenCheckpointId: start.id, problem: `checkpoint ${start.id} records the hash ${start.hash} for event ${expect.seq}, not the expected head hash ${expect.hash}` });
  }

  for (;;) {
    const rows = await db.selectFrom('audit_events').selectAll().where('seq', '>=', expectedSeq).orderBy('seq').limit(PAGE).execute();
    if (rows.length === 0) break;

    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq) {
        return fail({ firstBrokenSeq: expectedSeq, problem: `event ${expectedSeq} is missing (next stored event is ${seq})` });
      }
      if (row.prev_hash !== prevHash) {
        const link = start && checked === 0 ? `the hash in checkpoint ${start.id}` : `the hash of event ${seq - 1}`;
        return fail({ firstBrokenSeq: seq, problem: `event ${seq} does not link to ${link}` });
      }
      const { hash, ...rest } = row;
      if (hashEvent({ ...rest, seq, occurred_at: Number(row.occurred_at) }, chainKey) !== hash) {
        return fail({ firstBrokenSeq: seq, problem: `event ${seq} was changed after it was written (its hash does not match its fields)` });
      }
      if (options.expectHead && seq === options.expectHead.seq && hash !== options.expectHead.hash) {
        return fail({ firstBrokenSeq: seq, problem: `event ${seq} has the hash ${hash}, not the expected head hash ${options.expectHead.hash}` });
      }
      prevHash = hash;
      head = { seq, hash };
      expectedSeq += 1;
      checked += 1;
    }
  }

  // Pruning writes an audit.pruned event after its checkpoint, so at least one event must follow it.
  if (start && checked === 0) {
    return fail({ firstBrokenSeq: expectedSeq, problem: `no event follows checkpoint ${start.id}, so the audit.pruned event and every event after it were deleted` });
  }
  if (options.expectHead && (head?.seq ?? 0) < options.expectHead.seq) {
    return fail({ firstBrokenSeq: expectedSeq, problem: `the log ends at event ${head?.seq ?? 'none'}, before the expected head ${options.expectHead.seq}, so newer events were deleted` });
  }
  const expectHeadChecked = expect ? !start || expect.seq >= Number(start.seq) : undefined;
  return { ok: true, eventsChecked: checked, checkpointsChecked: checkpoints.length, startCheckpoint, head, expectHeadChecked };
}
