import type { AuditEventRow } from '../storage/tables.js';
import { GENESIS_HASH, hashEvent } from './chain.js';

/** One line of GET /api/v1/audit-events/export?format=jsonl, as far as the chain needs it. */
interface ExportedEvent {
  id: string;
  occurredAt: string;
  actor: { type: AuditEventRow['actor_type']; id: string | null; credentialId: string | null };
  action: string;
  target: { type: string; id: string | null } | null;
  instanceId: string | null;
  source: { ip: string | null; userAgent: string | null };
  outcome: AuditEventRow['outcome'];
  reason: string | null;
  details: Record<string, unknown> | null;
  hash: string;
}

/** Rebuilds the stored row of an exported event, given the hash of the event before it. */
export function rowFromExport(event: ExportedEvent, prevHash: string): Omit<AuditEventRow, 'hash'> {
  return {
    seq: Number(event.id),
    occurred_at: Date.parse(event.occurredAt),
    actor_type: event.actor.type,
    actor_id: event.actor.id,
    credential_id: event.actor.credentialId,
    action: event.action,
    target_type: event.target?.type ?? null,
    target_id: event.target?.id ?? null,
    instance_id: event.instanceId,
    source_ip: event.source.ip,
    user_agent: event.source.userAgent,
    outcome: event.outcome,
    reason: event.reason,
    details: event.details === null ? null : JSON.stringify(event.details),
    prev_hash: prevHash,
  };
}

/**
 * Recomputes the hash chain from an unfiltered JSON Lines export, which lists events newest
 * first, one line at a time, so that memory stays constant. An event's hash can be checked
 * once the next line, the older event, supplies its previous hash.
 */
export class ExportChainChecker {
  private newer: ExportedEvent | null = null;
  events = 0;
  problem: string | null = null;

  constructor(private readonly chainKey: Buffer) {}

  push(line: string): void {
    if (this.problem !== null || line === '') return;
    const event = JSON.parse(line) as ExportedEvent;
    this.events += 1;
    if (this.newer) this.check(this.newer, event.hash, Number(event.id));
    this.newer = event;
  }

  /** Checks the oldest event against `firstPrevHash` (the genesis hash, or a checkpoint's hash) and returns the first problem or null. */
  finish(firstPrevHash = GENESIS_HASH): string | null {
    if (this.newer && this.problem === null) this.check(this.newer, firstPrevHash, Number(this.newer.id) - 1);
    return this.problem;
  }

  private check(event: ExportedEvent, prevHash: string, prevSeq: number): void {
    if (prevSeq !== Number(event.id) - 1) {
      this.problem = `event ${event.id} is followed by event ${prevSeq} in the export; events in between are missing`;
    } else if (hashEvent(rowFromExport(event, prevHash), this.chainKey) !== event.hash) {
      this.problem = `the hash of event ${event.id} does not match its exported fields and the previous hash`;
    }
  }
}
