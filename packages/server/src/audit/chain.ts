import { createHash } from 'node:crypto';
import type { AuditEventRow } from '../storage/tables.js';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * Hash of one event: SHA-256 over the previous event's hash and every stored field, so that
 * changing, removing or reordering any event breaks every hash after it.
 */
export function hashEvent(row: Omit<AuditEventRow, 'hash'>): string {
  const fields = [
    row.seq,
    row.occurred_at,
    row.actor_type,
    row.actor_id,
    row.credential_id,
    row.action,
    row.target_type,
    row.target_id,
    row.instance_id,
    row.source_ip,
    row.user_agent,
    row.outcome,
    row.reason,
    row.details,
  ];
  return createHash('sha256').update(row.prev_hash).update('\n').update(JSON.stringify(fields)).digest('hex');
}
