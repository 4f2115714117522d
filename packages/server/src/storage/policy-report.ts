import type { Kysely } from 'kysely';
import type { Database } from './tables.js';

/** Lists every credential that is neither revoked nor expired, with its account's name, oldest first. */
export function liveCredentials(db: Kysely<Database>, now: number) {
  return db
    .selectFrom('credentials')
    .innerJoin('service_accounts', 'service_accounts.id', 'credentials.account_id')
    .select(['credentials.id', 'credentials.account_id', 'credentials.created_at', 'credentials.expires_at', 'service_accounts.name as account_name'])
    .where('credentials.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('credentials.expires_at', 'is', null), eb('credentials.expires_at', '>', now)]))
    .orderBy('credentials.created_at')
    .orderBy('credentials.id')
    .execute();
}

/** Lists every grant on the given instances, with its account's name. */
export function grantsOnInstances(db: Kysely<Database>, instanceIds: string[]) {
  if (instanceIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('grants')
    .innerJoin('service_accounts', 'service_accounts.id', 'grants.account_id')
    .select(['grants.account_id', 'grants.instance_id', 'grants.scopes', 'service_accounts.name as account_name'])
    .where('grants.instance_id', 'in', instanceIds)
    .orderBy('service_accounts.name')
    .execute();
}
