import type { Kysely } from 'kysely';
import type { Database, SigningKeyRow } from './tables.js';

/** Keys still in the JWKS: not yet unpublished at the given time. */
export function publishedSigningKeys(db: Kysely<Database>, now: number): Promise<SigningKeyRow[]> {
  return db
    .selectFrom('signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('unpublishes_at', 'is', null), eb('unpublishes_at', '>', now)]))
    .orderBy('activates_at')
    .execute();
}

export async function insertSigningKey(db: Kysely<Database>, row: SigningKeyRow): Promise<void> {
  await db.insertInto('signing_keys').values(row).execute();
}

export async function retireSigningKey(db: Kysely<Database>, kid: string, retiresAt: number, unpublishesAt: number): Promise<void> {
  await db.updateTable('signing_keys').set({ retires_at: retiresAt, unpublishes_at: unpublishesAt }).where('kid', '=', kid).execute();
}
