import type { Kysely } from 'kysely';
import type { CredentialRow, Database } from './tables.js';

export async function insertCredential(db: Kysely<Database>, row: CredentialRow): Promise<void> {
  await db.insertInto('credentials').values(row).execute();
}

export function credentialsOf(db: Kysely<Database>, accountId: string): Promise<CredentialRow[]> {
  return db.selectFrom('credentials').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute();
}

export function credentialsOfMany(db: Kysely<Database>, accountIds: string[]): Promise<CredentialRow[]> {
  if (accountIds.length === 0) return Promise.resolve([]);
  return db.selectFrom('credentials').selectAll().where('account_id', 'in', accountIds).execute();
}

export function findCredential(db: Kysely<Database>, accountId: string, credentialId: string): Promise<CredentialRow | undefined> {
  return db.selectFrom('credentials').selectAll().where('account_id', '=', accountId).where('id', '=', credentialId).executeTakeFirst();
}

export async function setCredentialRevoked(db: Kysely<Database>, id: string, revokedAt: number): Promise<void> {
  await db.updateTable('credentials').set({ revoked_at: revokedAt }).where('id', '=', id).execute();
}

/** Marks a credential as rotated: it expires at the end of the grace period and names its replacement. */
export async function setCredentialReplaced(db: Kysely<Database>, id: string, expiresAt: number, replacedBy: string): Promise<void> {
  await db.updateTable('credentials').set({ expires_at: expiresAt, replaced_by: replacedBy }).where('id', '=', id).execute();
}
