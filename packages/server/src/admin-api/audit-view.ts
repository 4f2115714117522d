import type { Kysely } from 'kysely';
import { namesOf } from '../storage/audit.js';
import type { AuditEventRow, Database } from '../storage/tables.js';
import { timestamp } from './views.js';

/**
 * Turns audit rows into API events, with the current names of the actor and target where
 * they still exist (a deleted account's events keep its id, and its name is null).
 */
export async function auditEventViews(db: Kysely<Database>, rows: AuditEventRow[]) {
  const ids = new Set<string>();
  for (const row of rows) {
    if (row.actor_id) ids.add(row.actor_id);
    if (row.target_id) ids.add(row.target_id);
  }
  const names = await namesOf(db, [...ids]);

  return rows.map((row) => ({
    id: String(row.seq),
    occurredAt: timestamp(row.occurred_at),
    actor: { type: row.actor_type, id: row.actor_id, name: row.actor_id ? (names.get(row.actor_id) ?? null) : null, credentialId: row.credential_id },
    action: row.action,
    target: row.target_type ? { type: row.target_type, id: row.target_id, name: row.target_id ? (names.get(row.target_id) ?? null) : null } : null,
    instanceId: row.instance_id,
    source: { ip: row.source_ip, userAgent: row.user_agent },
    outcome: row.outcome,
    reason: row.reason,
    details: row.details ? JSON.parse(row.details) : null,
    hash: row.hash,
  }));
}
