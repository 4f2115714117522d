import type { Kysely } from 'kysely';
import type { Database } from './tables.js';

/**
 * Records a DPoP proof by its replay key. Returns false when the key was recorded before,
 * which means the proof is a replay. The primary key makes this atomic across nodes.
 */
export async function recordDpopProof(db: Kysely<Database>, jtiHash: string, expiresAt: number): Promise<boolean> {
  const result = await db
    .insertInto('dpop_proofs')
    .values({ jti_hash: jtiHash, expires_at: expiresAt })
    .onConflict((oc) => oc.column('jti_hash').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** Removes proofs whose iat is outside the accepted window; a replay of them fails the iat check anyway. */
export async function pruneDpopProofs(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom('dpop_proofs').where('expires_at', '<', now).execute();
}
