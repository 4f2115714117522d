import { type Kysely, sql } from 'kysely';
import type { Database, GrantRow, ServiceAccountRow } from './tables.js';

export interface AccountFilter {
  search?: string;
  status?: 'active' | 'disabled';
  /** Instance id: only accounts with a grant on it. */
  instanceId?: string;
  /** Keyset cursor: the name and id of the last account on the previous page. */
  after?: { name: string; id: string };
  limit: number;
}

export function findAccount(db: Kysely<Database>, id: string): Promise<ServiceAccountRow | undefined> {
  return db.selectFrom('service_accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findAccountByClientId(db: Kysely<Database>, clientId: string): Promise<ServiceAccountRow | undefined> {
  return db.selectFrom('service_accounts').selectAll().where('client_id', '=', clientId).executeTakeFirst();
}

export function findAccountByName(db: Kysely<Database>, name: string): Promise<ServiceAccountRow | undefined> {
  return db.selectFrom('service_accounts').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Escapes LIKE wildcards so that a search for "etl_" matches the underscore itself. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** Lists accounts ordered by name then id, which keeps keyset paging stable. */
export function listAccounts(db: Kysely<Database>, filter: AccountFilter): Promise<ServiceAccountRow[]> {
  let query = db.selectFrom('service_accounts').selectAll();

  if (filter.search) {
    const pattern = `%${escapeLike(filter.search)}%`;
    query = query.where((eb) => eb.or(['name', 'description', 'owner'].map((column) => sql<boolean>`${sql.ref(column)} like ${pattern} escape '\\'`)));
  }
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.instanceId) {
    const instanceId = filter.instanceId;
    query = query.where('id', 'in', (eb) => eb.selectFrom('grants').select('account_id').where('instance_id', '=', instanceId));
  }
  if (filter.after) {
    const { name, id } = filter.after;
    query = query.where((eb) => eb.or([eb('name', '>', name), eb.and([eb('name', '=', name), eb('id', '>', id)])]));
  }

  return query.orderBy('name').orderBy('id').limit(filter.limit).execute();
}

export async function insertAccount(db: Kysely<Database>, row: ServiceAccountRow): Promise<void> {
  await db.insertInto('service_accounts').values(row).execute();
}

export async function updateAccount(db: Kysely<Database>, row: ServiceAccountRow): Promise<void> {
  const { id, ...rest } = row;
  await db.updateTable('service_accounts').set(rest).where('id', '=', id).execute();
}

export async function deleteAccount(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('grants').where('account_id', '=', id).execute();
  await db.deleteFrom('credentials').where('account_id', '=', id).execute();
  await db.deleteFrom('service_accounts').where('id', '=', id).execute();
}

export function grantsOf(db: Kysely<Database>, accountIds: string[]): Promise<GrantRow[]> {
  if (accountIds.length === 0) return Promise.resolve([]);
  return db.selectFrom('grants').selectAll().where('account_id', 'in', accountIds).orderBy('instance_id').execute();
}

export function findGrant(db: Kysely<Database>, accountId: string, instanceId: string): Promise<GrantRow | undefined> {
  return db.selectFrom('grants').selectAll().where('account_id', '=', accountId).where('instance_id', '=', instanceId).executeTakeFirst();
}

/** Replaces all grants of an account. */
export async function replaceGrants(db: Kysely<Database>, accountId: string, grants: GrantRow[]): Promise<void> {
  await db.deleteFrom('grants').where('account_id', '=', accountId).execute();
  if (grants.length > 0) await db.insertInto('grants').values(grants).execute();
}
