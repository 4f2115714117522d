import { type Kysely, PostgresAdapter, type SelectQueryBuilder, sql } from 'kysely';
import type { Database, GrantRow, ServiceAccountRow } from './tables.js';

export const ACCOUNT_SORTS = ['name', '-name', 'createdAt', '-createdAt', 'lastUsedAt', '-lastUsedAt'] as const;
export type AccountSort = (typeof ACCOUNT_SORTS)[number];

export interface AccountFilter {
  /** Substring of the name, client id, description or owner, ignoring case. */
  search?: string;
  status?: 'active' | 'disabled';
  /** Instance id: only accounts with a grant on it. */
  instanceId?: string;
  /** Only accounts with a grant on one of these instances, for an instance-admin. */
  withinInstances?: string[];
  owner?: string;
  /** Only accounts whose last use (or creation, if never used) is older than this time. */
  idleSince?: number;
  /** Only accounts with a live credential that expires between `now` and this time. */
  expiringBefore?: number;
  now: number;
}

export interface AccountPage extends AccountFilter {
  sort: AccountSort;
  /** Keyset cursor: the sort value and id of the last account on the previous page. */
  after?: { value: string | number; id: string };
  limit: number;
}

export function findAccount(db: Kysely<Database>, id: string): Promise<ServiceAccountRow | undefined> {
  return db.selectFrom('service_accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findAccountByClientId(db: Kysely<Database>, clientId: string): Promise<ServiceAccountRow | undefined> {
  return db.selectFrom('service_accounts').selectAll().where('client_id', '=', clientId).executeTakeFirst();
}

/** Finds an account by name, ignoring case, as the unique index on lower(name) does. */
export function findAccountByName(db: Kysely<Database>, name: string): Promise<ServiceAccountRow | undefined> {
  return db.selectFrom('service_accounts').selectAll().where(sql`lower(name)`, '=', name.toLowerCase()).executeTakeFirst();
}

/** Escapes LIKE wildcards so that a search for "etl_" matches the underscore itself. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

function isPostgres(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

const SORT_COLUMNS = {
  name: sql`name`,
  createdAt: sql`created_at`,
  // Accounts never used sort as the oldest use.
  lastUsedAt: sql`coalesce(last_used_at, 0)`,
} as const;

/**
 * The sort keys as expressions that no index matches, for searches and instance filters. Given
 * an index in sort order, both planners walk it and test each account, assuming the matches are
 * spread evenly. They cluster instead (a team's accounts share a name prefix and an instance),
 * and then the walk reads most accounts in random order: 800 ms for one instance of 20 among
 * 100,000 accounts on PostgreSQL. Without the index the planners find the matches first,
 * through the grants index or the trigram indexes, and sort only those.
 */
const UNINDEXED_SORT_COLUMNS = {
  name: sql`name || ''`,
  createdAt: sql`created_at + 0`,
  lastUsedAt: sql`coalesce(last_used_at, 0) + 0`,
} as const;

function applyFilter<QB extends SelectQueryBuilder<Database, 'service_accounts', any>>(db: Kysely<Database>, query: QB, filter: AccountFilter): QB {
  let filtered = query;

  if (filter.search) {
    const pattern = `%${escapeLike(filter.search)}%`;
    const columns = ['name', 'client_id', 'description', 'owner'];
    // SQLite's LIKE already ignores ASCII case, as its lower() does, so lower() is needed only
    // on PostgreSQL. On SQLite it would double the cost of the scan that a substring match needs.
    const matches = isPostgres(db)
      ? columns.map((column) => sql<boolean>`lower(${sql.ref(column)}) like lower(${pattern}) escape '\\'`)
      : columns.map((column) => sql<boolean>`${sql.ref(column)} like ${pattern} escape '\\'`);
    filtered = filtered.where((eb) => eb.or(matches)) as QB;
  }
  if (filter.status) filtered = filtered.where('status', '=', filter.status) as QB;
  if (filter.owner) filtered = filtered.where('owner', '=', filter.owner) as QB;
  if (filter.instanceId) {
    const instanceId = filter.instanceId;
    filtered = filtered.where('id', 'in', (eb) => eb.selectFrom('grants').select('account_id').where('instance_id', '=', instanceId)) as QB;
  }
  if (filter.withinInstances) {
    const instanceIds = filter.withinInstances.length > 0 ? filter.withinInstances : [''];
    filtered = filtered.where('id', 'in', (eb) => eb.selectFrom('grants').select('account_id').where('instance_id', 'in', instanceIds)) as QB;
  }
  if (filter.idleSince !== undefined) {
    filtered = filtered.where(sql<boolean>`coalesce(last_used_at, created_at) < ${filter.idleSince}`) as QB;
  }
  if (filter.expiringBefore !== undefined) {
    const { now, expiringBefore } = filter;
    filtered = filtered.where('id', 'in', (eb) =>
      eb
        .selectFrom('credentials')
        .select('account_id')
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .where('expires_at', '<=', expiringBefore),
    ) as QB;
  }
  return filtered;
}

/** Lists one page of accounts, ordered by the sort key then id, which keeps keyset paging stable. */
export function listAccounts(db: Kysely<Database>, page: AccountPage): Promise<ServiceAccountRow[]> {
  const descending = page.sort.startsWith('-');
  const column = SORT_COLUMNS[page.sort.replace('-', '') as keyof typeof SORT_COLUMNS];
  let query = applyFilter(db, db.selectFrom('service_accounts').selectAll(), page);

  if (page.after) {
    const comparison = descending ? sql`<` : sql`>`;
    query = query.where(sql<boolean>`(${column}, id) ${comparison} (${page.after.value}, ${page.after.id})`);
  }

  const direction = descending ? sql`desc` : sql`asc`;
  const findsMatchesFirst = page.search !== undefined || page.instanceId !== undefined || page.withinInstances !== undefined;
  const sortKey = findsMatchesFirst ? UNINDEXED_SORT_COLUMNS[page.sort.replace('-', '') as keyof typeof UNINDEXED_SORT_COLUMNS] : column;
  return query.orderBy(sql`${sortKey} ${direction}`).orderBy(sql`id ${direction}`).limit(page.limit).execute();
}

/** Returns an account's sort-key value, as a cursor stores it. */
export function sortValueOf(row: ServiceAccountRow, sort: AccountSort): string | number {
  const key = sort.replace('-', '');
  if (key === 'name') return row.name;
  if (key === 'createdAt') return Number(row.created_at);
  return Number(row.last_used_at ?? 0);
}

export async function countAccounts(db: Kysely<Database>, filter: AccountFilter): Promise<number> {
  const row = await applyFilter(db, db.selectFrom('service_accounts'), filter)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
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
