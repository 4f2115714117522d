import { createHmac } from 'node:crypto';
import type { AuditEventRow } from '../storage/tables.js';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * Hash of one event: HMAC-SHA-256, keyed from the master key, over the previous event's hash
 * and every stored field. Changing, removing or reordering an event breaks every hash after
 * it, and forged events need the master key to get valid hashes.
 */
export function hashEvent(row: Omit<AuditEventRow, 'hash'>, key: Buffer): string {
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
  return createHmac('sha256', key).update(row.prev_hash).update('\n').update(JSON.stringify(fields)).digest('hex');
}
