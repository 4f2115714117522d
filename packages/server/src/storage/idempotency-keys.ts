import type { Kysely } from 'kysely';
import type { Database, IdempotencyKeyRow } from './tables.js';

/** Claims a key for a request. Returns false when the caller already used the key; the primary key makes this atomic across nodes. */
export async function claimIdempotencyKey(db: Kysely<Database>, row: IdempotencyKeyRow): Promise<boolean> {
  const result = await db
    .insertInto('idempotency_keys')
    .values(row)
    .onConflict((oc) => oc.columns(['owner', 'idempotency_key']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export function findIdempotencyKey(db: Kysely<Database>, owner: string, key: string): Promise<IdempotencyKeyRow | undefined> {
  return db.selectFrom('idempotency_keys').selectAll().where('owner', '=', owner).where('idempotency_key', '=', key).executeTakeFirst();
}

/**
 * Moves an in-flight key from a request that stopped answering to a new one. It succeeds only
 * while the old request still holds the key, so that two retries cannot both take it over.
 */
export async function takeOverIdempotencyKey(db: Kysely<Database>, owner: string, key: string, oldLockId: string, newLockId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('idempotency_keys')
    .set({ lock_id: newLockId, locked_at: now })
    .where('owner', '=', owner)
    .where('idempotency_key', '=', key)
    .where('lock_id', '=', oldLockId)
    .where('response_status', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Stores the response of the request holding the key. Returns false when the request no
 * longer holds it, in which case the caller must roll back its transaction.
 */
export async function storeIdempotentResponse(db: Kysely<Database>, owner: string, key: string, lockId: string, status: number, encryptedBody: string): Promise<boolean> {
  const result = await db
    .updateTable('idempotency_keys')
    .set({ response_status: status, response_body: encryptedBody, lock_id: null, locked_at: null })
    .where('owner', '=', owner)
    .where('idempotency_key', '=', key)
    .where('lock_id', '=', lockId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Frees a key whose request ended without a stored response, so that the caller may retry with it. */
export async function releaseIdempotencyKey(db: Kysely<Database>, owner: string, key: string, lockId: string): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('owner', '=', owner).where('idempotency_key', '=', key).where('lock_id', '=', lockId).where('response_status', 'is', null).execute();
}

export async function deleteExpiredIdempotencyKey(db: Kysely<Database>, owner: string, key: string, now: number): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('owner', '=', owner).where('idempotency_key', '=', key).where('expires_at', '<=', now).execute();
}

/** Removes keys past their lifetime; the hourly maintenance calls it. */
export async function pruneIdempotencyKeys(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
