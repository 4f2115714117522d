import { type Kysely, sql } from 'kysely';
import { escapeLike } from './accounts.js';
import type { AuditEventRow, Database } from './tables.js';
import { DAY_MS } from '../clock.js';

export interface AuditFilter {
  /** Events by or on an account, or on one of its credentials or federations. */
  accountId?: string;
  actorId?: string;
  action?: string;
  targetId?: string;
  instanceId?: string;
  outcome?: 'success' | 'failure';
  from?: number;
  to?: number;
  /** Keyset cursor: only events older than this sequence number. */
  beforeSeq?: number;
  /**
   * Only events an instance-admin of these instances may read: events on the instances, and
   * events by or on accounts with a grant on one of them or on those accounts' credentials
   * and federations.
   */
  withinInstances?: string[];
  limit: number;
}

/** Lists audit events newest first. An action ending in ".*" matches every action under that prefix. */
export function queryAuditEvents(db: Kysely<Database>, filter: AuditFilter): Promise<AuditEventRow[]> {
  let query = db.selectFrom('audit_events').selectAll();

  if (filter.actorId) query = query.where('actor_id', '=', filter.actorId);
  if (filter.accountId) {
    const accountId = filter.accountId;
    query = query.where((eb) =>
      eb.or([
        eb('actor_id', '=', accountId),
        eb('target_id', '=', accountId),
        eb('target_id', 'in', eb.selectFrom('credentials').select('id').where('account_id', '=', accountId)),
        eb('target_id', 'in', eb.selectFrom('federations').select('id').where('account_id', '=', accountId)),
      ]),
    );
  }
  if (filter.action?.endsWith('.*')) query = query.where(sql<boolean>`action like ${`${escapeLike(filter.action.slice(0, -1))}%`} escape '\\'`);
  else if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.targetId) query = query.where('target_id', '=', filter.targetId);
  if (filter.instanceId) query = query.where('instance_id', '=', filter.instanceId);
  if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
  if (filter.from !== undefined) query = query.where('occurred_at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('occurred_at', '<', filter.to);
  if (filter.beforeSeq !== undefined) query = query.where('seq', '<', filter.beforeSeq);
  if (filter.withinInstances) {
    const instanceIds = filter.withinInstances.length > 0 ? filter.withinInstances : [''];
    query = query.where((eb) => {
      const accounts = eb.selectFrom('grants').select('account_id').where('instance_id', 'in', instanceIds);
      return eb.or([
        eb('instance_id', 'in', instanceIds),
        eb('actor_id', 'in', accounts),
        eb('target_id', 'in', accounts),
        eb('target_id', 'in', eb.selectFrom('credentials').select('id').where('account_id', 'in', accounts)),
        eb('target_id', 'in', eb.selectFrom('federations').select('id').where('account_id', 'in', accounts)),
      ]);
    });
  }

  return query.orderBy('seq', 'desc').limit(filter.limit).execute();
}

export function findAuditEvent(db: Kysely<Database>, seq: number): Promise<AuditEventRow | undefined> {
  return db.selectFrom('audit_events').selectAll().where('seq', '=', seq).executeTakeFirst();
}


/** Counts an account's token requests per UTC day (days since the epoch) and action since a time. */
export async function countTokenRequestsPerDay(db: Kysely<Database>, accountId: string, since: number) {
  // A literal, not a parameter: PostgreSQL must see the same expression in SELECT and GROUP BY.
  const day = sql<number>`occurred_at / ${sql.lit(DAY_MS)}`;
  const rows = await db
    .selectFrom('audit_events')
    .select([day.as('day'), 'action', (eb) => eb.fn.countAll<number>().as('count')])
    .where('actor_id', '=', accountId)
    .where('action', 'in', ['token.issued', 'token.refused'])
    .where('occurred_at', '>=', since)
    .groupBy([day, 'action'])
    .execute();
  return rows.map((row) => ({ day: Math.floor(Number(row.day)), action: row.action, count: Number(row.count) }));
}

/** Names of the admins, accounts and instances among the given ids, for readable audit events. */
export async function namesOf(db: Kysely<Database>, ids: string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (ids.length === 0) return names;

  const [admins, accounts, instances] = await Promise.all([
    db.selectFrom('admins').select(['id', 'username as name']).where('id', 'in', ids).execute(),
    db.selectFrom('service_accounts').select(['id', 'name']).where('id', 'in', ids).execute(),
    db.selectFrom('instances').select(['id', 'slug as name']).where('id', 'in', ids).execute(),
  ]);
  for (const row of [...admins, ...accounts, ...instances]) names.set(row.id, row.name);
  return names;
}
