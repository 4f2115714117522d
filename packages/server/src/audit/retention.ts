import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type Clock, DAY_MS } from '../clock.js';
import type { KeyMaterial } from '../crypto/master-key.js';
import { newId } from '../crypto/secrets.js';
import { lowestEnabledCursor } from '../storage/audit-sinks.js';
import { insertCheckpoint, readRetention } from '../storage/audit-checkpoints.js';
import type { AuditCheckpointRow, Database } from '../storage/tables.js';
import { CheckpointSigner, checkpointPayload } from './checkpoint-signing.js';
import type { AuditWriter } from './writer.js';

export interface PruneDependencies {
  db: Kysely<Database>;
  audit: AuditWriter;
  clock: Clock;
  keyMaterial: KeyMaterial;
  logger: Logger;
}

export interface PruneResult {
  /** The newest checkpoint written by this call, or null when nothing was pruned. */
  checkpoint: AuditCheckpointRow | null;
  /** Every checkpoint written by this call, oldest first; a large backlog is pruned in several steps. */
  checkpoints: AuditCheckpointRow[];
  /** True when events older than the retention stay because an enabled sink has not received them yet. */
  heldBackBySinks: boolean;
}

export interface PruneOptions {
  /** Skips pruning while the newest checkpoint is younger than this, in milliseconds. */
  minIntervalMs?: number;
  /** Maximum number of events one checkpoint covers, so that each delete is short. */
  maxEventsPerCheckpoint?: number;
}

// Counting and deleting 50,000 events took about 50 ms on PostgreSQL 15 on a 2-vCPU KVM
// guest, far below the default 10 s statement timeout, which leaves room for slower disks.
const MAX_EVENTS_PER_CHECKPOINT = 50_000;

interface PruneStep {
  checkpoint: AuditCheckpointRow | null;
  heldBackBySinks: boolean;
  /** True when the step stopped at maxEventsPerCheckpoint and older events are left. */
  capped: boolean;
}

async function seqBound(trx: Kysely<Database>, direction: 'min' | 'max', notBefore?: number): Promise<number | null> {
  let query = trx.selectFrom('audit_events').select((eb) => eb.fn[direction]<number>('seq').as('seq'));
  if (notBefore !== undefined) query = query.where('occurred_at', '>=', notBefore);
  const row = await query.executeTakeFirst();
  return row?.seq === null || row?.seq === undefined ? null : Number(row.seq);
}

/** Prunes one stretch of at most `maxEvents` events behind one checkpoint, in one transaction. */
function pruneStep(deps: PruneDependencies, signer: CheckpointSigner, maxEvents: number, minIntervalMs: number | undefined): Promise<PruneStep> {
  const nothing = (heldBackBySinks: boolean): PruneStep => ({ checkpoint: null, heldBackBySinks, capped: false });

  return deps.audit.transaction(async (trx): Promise<PruneStep> => {
    const retention = await readRetention(trx);
    if (retention.days === null) return nothing(false);

    const now = deps.clock.now();
    const newest = await trx.selectFrom('audit_checkpoints').select('created_at').orderBy('seq', 'desc').limit(1).executeTakeFirst();
    if (minIntervalMs && newest && now - Number(newest.created_at) < minIntervalMs) return nothing(false);
    const cutoff = now - retention.days * DAY_MS;

    // The prefix ends before the first event inside the retention, even if a later one is older.
    const firstKept = await seqBound(trx, 'min', cutoff);
    const head = await seqBound(trx, 'max');
    let lastPruned = firstKept === null ? head : firstKept - 1;

    const undelivered = await lowestEnabledCursor(trx);
    const heldBackBySinks = lastPruned !== null && undelivered !== null && undelivered < lastPruned;
    if (heldBackBySinks) lastPruned = undelivered;

    const firstSeq = await seqBound(trx, 'min');
    if (lastPruned === null || firstSeq === null || lastPruned < firstSeq) return nothing(heldBackBySinks);
    const capped = lastPruned - firstSeq + 1 > maxEvents;
    if (capped) lastPruned = firstSeq + maxEvents - 1;

    const last = await trx.selectFrom('audit_events').select(['seq', 'hash']).where('seq', '=', lastPruned).executeTakeFirstOrThrow();
    const counted = await trx.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('count')).where('seq', '<=', lastPruned).executeTakeFirstOrThrow();

    const unsigned = { id: newId(), seq: lastPruned, hash: last.hash, first_seq: firstSeq, pruned_count: Number(counted.count), created_at: now, key_id: signer.publicKey.kid };
    const checkpoint: AuditCheckpointRow = { ...unsigned, signature: signer.sign(checkpointPayload(unsigned)) };

    await insertCheckpoint(trx, checkpoint);
    await trx.deleteFrom('audit_events').where('seq', '<=', lastPruned).execute();
    await deps.audit.writeInTransaction(trx, [
      {
        actor: { type: 'system' },
        action: 'audit.pruned',
        target: { type: 'audit_checkpoint', id: checkpoint.id },
        outcome: 'success',
        details: { checkpointId: checkpoint.id, count: checkpoint.pruned_count, firstSeq, lastSeq: lastPruned, retentionDays: retention.days, olderThan: new Date(cutoff).toISOString(), heldBackBySinks },
      },
    ]);
    return { checkpoint, heldBackBySinks, capped };
  });
}

/**
 * Deletes the oldest events once they are older than the retention setting. The pruned
 * stretch is always a prefix of the chain, so the events that stay still form one chain.
 * A signed checkpoint records the seq and hash of the last pruned event, and the first event
 * that stays links to that hash. An `audit.pruned` event records the pruning itself.
 * Events that an enabled sink has not received yet are never pruned.
 */
export async function pruneAuditLog(deps: PruneDependencies, options: PruneOptions = {}): Promise<PruneResult> {
  const signer = new CheckpointSigner(deps.keyMaterial.auditCheckpointSeed);
  const maxEvents = options.maxEventsPerCheckpoint ?? MAX_EVENTS_PER_CHECKPOINT;
  const checkpoints: AuditCheckpointRow[] = [];
  let heldBackBySinks = false;

  for (;;) {
    // Only the first step waits for the interval; the later ones continue the same pruning.
    const step = await pruneStep(deps, signer, maxEvents, checkpoints.length === 0 ? options.minIntervalMs : undefined);
    heldBackBySinks = step.heldBackBySinks;
    if (step.checkpoint) {
      const { id, first_seq, seq, pruned_count } = step.checkpoint;
      checkpoints.push(step.checkpoint);
      deps.logger.info({ checkpointId: id, firstSeq: Number(first_seq), lastSeq: Number(seq), count: pruned_count }, 'pruned audit events older than the retention and wrote a signed checkpoint');
    }
    if (!step.capped) break;
  }

  if (heldBackBySinks) deps.logger.warn('kept audit events older than the retention because an enabled audit sink has not received them yet');
  return { checkpoint: checkpoints.at(-1) ?? null, checkpoints, heldBackBySinks };
}
