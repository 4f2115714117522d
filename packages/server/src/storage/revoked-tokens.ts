import type { Kysely } from 'kysely';
import type { Database } from './tables.js';

export async function insertRevokedToken(db: Kysely<Database>, jti: string, expiresAt: number): Promise<void> {
  await db.insertInto('revoked_tokens').values({ jti, expires_at: expiresAt }).onConflict((oc) => oc.column('jti').doNothing()).execute();
}

/** Removes entries for tokens that have expired anyway; they can no longer be presented. */
export async function pruneRevokedTokens(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom('revoked_tokens').where('expires_at', '<', now).execute();
}
