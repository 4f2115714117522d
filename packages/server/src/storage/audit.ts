import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
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

/** The lowest and highest seq among events in a time range. */
interface SeqRange {
  min: number;
  max: number;
}

/**
 * Finds the seq range of the events in [from, to), or null when the range has no events.
 * Reads only the (occurred_at, seq) index, so the cost grows with the number of events in the
 * range but stays far below reading the rows.
 */
async function seqRangeOf(db: Kysely<Database>, from: number | undefined, to: number | undefined): Promise<SeqRange | null> {
  // `seq + 0`, because PostgreSQL would otherwise compute min(seq) by walking the primary key
  // from the oldest event until one falls in the range, which for a recent range is nearly all of them.
  let query = db.selectFrom('audit_events').select([sql<number>`min(seq + 0)`.as('min'), sql<number>`max(seq + 0)`.as('max')]);
  if (from !== undefined) query = query.where('occurred_at', '>=', from);
  if (to !== undefined) query = query.where('occurred_at', '<', to);
  const row = await query.executeTakeFirst();
  return row?.max === null || row?.max === undefined ? null : { min: Number(row.min), max: Number(row.max) };
}

/** Applies every filter except the account filter, which queryAuditEvents splits into two queries. */
function applyAuditFilter(query: SelectQueryBuilder<Database, 'audit_events', AuditEventRow>, filter: AuditFilter, seqRange?: SeqRange) {
  let filtered = query;
  if (filter.actorId) filtered = filtered.where('actor_id', '=', filter.actorId);
  if (filter.action?.endsWith('.*')) filtered = filtered.where(sql<boolean>`action like ${`${escapeLike(filter.action.slice(0, -1))}%`} escape '\\'`);
  else if (filter.action) filtered = filtered.where('action', '=', filter.action);
  if (filter.targetId) filtered = filtered.where('target_id', '=', filter.targetId);
  if (filter.instanceId) filtered = filtered.where('instance_id', '=', filter.instanceId);
  if (filter.outcome) filtered = filtered.where('outcome', '=', filter.outcome);
  if (seqRange) {
    // Every event in the time range lies in this seq range, so the query walks an index by
    // seq from the newest event of the range and stops after `limit` rows. `+ 0` keeps the
    // planner from choosing the occurred_at index instead, which would read every event of
    // the range and sort them by seq.
    filtered = filtered.where('seq', '>=', seqRange.min).where('seq', '<=', seqRange.max);
    if (filter.from !== undefined) filtered = filtered.where(sql<boolean>`occurred_at + 0 >= ${filter.from}`);
    if (filter.to !== undefined) filtered = filtered.where(sql<boolean>`occurred_at + 0 < ${filter.to}`);
  }
  if (filter.beforeSeq !== undefined) filtered = filtered.where('seq', '<', filter.beforeSeq);
  if (filter.withinInstances) {
    const instanceIds = filter.withinInstances.length > 0 ? filter.withinInstances : [''];
    filtered = filtered.where((eb) => {
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
  return filtered;
}

/** Ids that events about an account name as their target: the account itself, its credentials and its federations. */
async function accountTargetIds(db: Kysely<Database>, accountId: string): Promise<string[]> {
  const [credentials, federations] = await Promise.all([
    db.selectFrom('credentials').select('id').where('account_id', '=', accountId).execute(),
    db.selectFrom('federations').select('id').where('account_id', '=', accountId).execute(),
  ]);
  return [accountId, ...credentials.map((row) => row.id), ...federations.map((row) => row.id)];
}

/** Lists audit events newest first. An action ending in ".*" matches every action under that prefix. */
export async function queryAuditEvents(db: Kysely<Database>, filter: AuditFilter): Promise<AuditEventRow[]> {
  let seqRange: SeqRange | undefined;
  if (filter.from !== undefined || filter.to !== undefined) {
    // Sequence numbers and times rise together, so the seq range of a time range is narrow.
    // The result stays exact when they do not: the range is a bound, and the time filters still apply.
    const range = await seqRangeOf(db, filter.from, filter.to);
    if (!range) return [];
    seqRange = range;
  }

  const base = applyAuditFilter(db.selectFrom('audit_events').selectAll(), filter, seqRange);
  if (!filter.accountId) return base.orderBy('seq', 'desc').limit(filter.limit).execute();

  // Events by the account and events on it are two queries that each walk an index newest
  // first and stop after `limit` rows. One query with OR would collect every event of a busy
  // account (hundreds of thousands) and sort them all before returning the first page.
  const targetIds = await accountTargetIds(db, filter.accountId);
  const [byAccount, onAccount] = await Promise.all([
    base.where('actor_id', '=', filter.accountId).orderBy('seq', 'desc').limit(filter.limit).execute(),
    base.where('target_id', 'in', targetIds).orderBy('seq', 'desc').limit(filter.limit).execute(),
  ]);

  // An event can be both by and on the account, such as a rotation of its own credential.
  const merged = new Map<number, AuditEventRow>();
  for (const row of [...byAccount, ...onAccount]) merged.set(Number(row.seq), row);
  return [...merged.values()].sort((a, b) => Number(b.seq) - Number(a.seq)).slice(0, filter.limit);
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
