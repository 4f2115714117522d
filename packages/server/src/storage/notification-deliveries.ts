import { type Kysely, sql } from 'kysely';
import type { Database, NotificationDeliveryRow } from './tables.js';

// NOTE: delivered and failed rows are kept for good, because their dedupe keys stop a notice
// from being sent twice; the table grows by one row per notice and contact.

/**
 * Inserts deliveries whose dedupe key is new and skips the others, so that nodes running the
 * same job at once, or one node after a restart, add each message once.
 */
export async function insertDeliveries(db: Kysely<Database>, rows: NotificationDeliveryRow[]): Promise<number> {
  if (rows.length === 0) return 0;

  const existing = new Set(
    (await db.selectFrom('notification_deliveries').select('dedupe_key').where('dedupe_key', 'in', rows.map((row) => row.dedupe_key)).execute()).map((row) => row.dedupe_key),
  );
  let inserted = 0;
  for (const row of rows.filter((candidate) => !existing.has(candidate.dedupe_key))) {
    const result = await db.insertInto('notification_deliveries').values(row).onConflict((conflict) => conflict.column('dedupe_key').doNothing()).executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return inserted;
}

export function dueDeliveries(db: Kysely<Database>, now: number, limit: number): Promise<NotificationDeliveryRow[]> {
  return db
    .selectFrom('notification_deliveries')
    .selectAll()
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Claims a due delivery for one attempt by moving its next attempt to `leaseUntil`, but only
 * if no other node moved it first. A node that stops mid-attempt leaves the delivery due again
 * once the lease ends.
 */
export async function claimDelivery(db: Kysely<Database>, row: NotificationDeliveryRow, leaseUntil: number): Promise<boolean> {
  const result = await db
    .updateTable('notification_deliveries')
    .set({ next_attempt_at: leaseUntil })
    .where('id', '=', row.id)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '=', Number(row.next_attempt_at))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Moves a failed delivery back to pending for an attempt now, unless another request did first. */
export async function reopenFailedDelivery(db: Kysely<Database>, id: string, now: number, leaseUntil: number): Promise<boolean> {
  const result = await db
    .updateTable('notification_deliveries')
    .set({ status: 'pending', next_attempt_at: leaseUntil, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export type AttemptRecord = Pick<NotificationDeliveryRow, 'status' | 'attempts' | 'next_attempt_at' | 'last_error' | 'last_status_code' | 'updated_at' | 'delivered_at'>;

export async function recordAttempt(db: Kysely<Database>, id: string, record: AttemptRecord): Promise<void> {
  await db.updateTable('notification_deliveries').set(record).where('id', '=', id).execute();
}

export function findDelivery(db: Kysely<Database>, id: string): Promise<NotificationDeliveryRow | undefined> {
  return db.selectFrom('notification_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface DeliveryPage {
  accountId?: string;
  status?: NotificationDeliveryRow['status'];
  /** Keyset cursor: creation time and id of the last delivery on the previous page. */
  after?: { createdAt: number; id: string };
  limit: number;
}

/** Lists deliveries newest first, with the name of their account, or null once it is deleted. */
export function listDeliveries(db: Kysely<Database>, page: DeliveryPage): Promise<(NotificationDeliveryRow & { account_name: string | null })[]> {
  let query = db
    .selectFrom('notification_deliveries')
    .leftJoin('service_accounts', 'service_accounts.id', 'notification_deliveries.account_id')
    .selectAll('notification_deliveries')
    .select('service_accounts.name as account_name');
  if (page.accountId) query = query.where('notification_deliveries.account_id', '=', page.accountId);
  if (page.status) query = query.where('notification_deliveries.status', '=', page.status);
  if (page.after) {
    query = query.where(sql<boolean>`(notification_deliveries.created_at, notification_deliveries.id) < (${page.after.createdAt}, ${page.after.id})`);
  }
  return query.orderBy('notification_deliveries.created_at', 'desc').orderBy('notification_deliveries.id', 'desc').limit(page.limit).execute();
}
