import type { Kysely } from 'kysely';
import type { Database, FederationRow } from './tables.js';

export async function insertFederation(db: Kysely<Database>, row: FederationRow): Promise<void> {
  await db.insertInto('federations').values(row).execute();
}

export function federationsOf(db: Kysely<Database>, accountId: string): Promise<FederationRow[]> {
  return db.selectFrom('federations').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute();
}

export function findFederation(db: Kysely<Database>, accountId: string, federationId: string): Promise<FederationRow | undefined> {
  return db.selectFrom('federations').selectAll().where('account_id', '=', accountId).where('id', '=', federationId).executeTakeFirst();
}

/** Every rule, live or revoked, that names an issuer, on any account. */
export function federationsByIssuer(db: Kysely<Database>, issuer: string): Promise<FederationRow[]> {
  return db.selectFrom('federations').selectAll().where('issuer', '=', issuer).orderBy('created_at').orderBy('id').execute();
}

export async function setFederationRevoked(db: Kysely<Database>, id: string, revokedAt: number): Promise<void> {
  await db.updateTable('federations').set({ revoked_at: revokedAt }).where('id', '=', id).execute();
}
