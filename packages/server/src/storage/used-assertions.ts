import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './tables.js';

/**
 * Records that an assertion with this jti was used, unless it was used before. `namespace`
 * keeps the ids of different clients and issuers apart. The entry lives until the assertion
 * expires; an expired entry that pruning has not removed yet is taken over, since the
 * assertion it stood for can no longer be presented.
 * Returns false for a replay.
 */
export async function consumeAssertionId(db: Kysely<Database>, namespace: string, jti: string, expiresAt: number, now: number): Promise<boolean> {
  const key = createHash('sha256').update(namespace).update('\u0000').update(jti).digest('base64url');
  const result = await db
    .insertInto('used_assertions')
    .values({ key, expires_at: expiresAt })
    .onConflict((conflict) => conflict.column('key').doUpdateSet({ expires_at: expiresAt }).where('used_assertions.expires_at', '<', now))
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function pruneUsedAssertions(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom('used_assertions').where('expires_at', '<', now).execute();
}
