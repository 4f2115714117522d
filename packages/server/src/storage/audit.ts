import { type Kysely, sql } from 'kysely';
import { escapeLike } from './accounts.js';
import type { AuditEventRow, Database } from './tables.js';

export interface AuditFilter {
  actorId?: string;
  action?: string;
  targetId?: string;
  instanceId?: string;
  outcome?: 'success' | 'failure';
  from?: number;
  to?: number;
  /** Keyset cursor: only events older than this sequence number. */
  beforeSeq?: number;
  limit: number;
}

/** Lists audit events newest first. An action ending in ".*" matches every action under that prefix. */
export function queryAuditEvents(db: Kysely<Database>, filter: AuditFilter): Promise<AuditEventRow[]> {
  let query = db.selectFrom('audit_events').selectAll();

  if (filter.actorId) query = query.where('actor_id', '=', filter.actorId);
  if (filter.action?.endsWith('.*')) query = query.where(sql<boolean>`action like ${`${escapeLike(filter.action.slice(0, -1))}%`} escape '\\'`);
  else if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.targetId) query = query.where('target_id', '=', filter.targetId);
  if (filter.instanceId) query = query.where('instance_id', '=', filter.instanceId);
  if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
  if (filter.from !== undefined) query = query.where('occurred_at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('occurred_at', '<', filter.to);
  if (filter.beforeSeq !== undefined) query = query.where('seq', '<', filter.beforeSeq);

  return query.orderBy('seq', 'desc').limit(filter.limit).execute();
}
