import type { Kysely } from 'kysely';
import type { Database, InstanceSeatsRow } from './tables.js';

export function listSeats(db: Kysely<Database>): Promise<InstanceSeatsRow[]> {
  return db.selectFrom('instance_seats').selectAll().execute();
}

export function findSeats(db: Kysely<Database>, instanceId: string): Promise<InstanceSeatsRow | undefined> {
  return db.selectFrom('instance_seats').selectAll().where('instance_id', '=', instanceId).executeTakeFirst();
}

export async function saveSeats(db: Kysely<Database>, row: InstanceSeatsRow): Promise<void> {
  const { instance_id: _id, ...rest } = row;
  await db
    .insertInto('instance_seats')
    .values(row)
    .onConflict((conflict) => conflict.column('instance_id').doUpdateSet(rest))
    .execute();
}

export interface AccountCounts {
  instanceId: string;
  status: 'active' | 'disabled';
  count: number;
}

/** Counts the service accounts with a grant on each instance, by account status. */
export async function countAccountsPerInstance(db: Kysely<Database>): Promise<AccountCounts[]> {
  const rows = await db
    .selectFrom('grants')
    .innerJoin('service_accounts', 'service_accounts.id', 'grants.account_id')
    .select(['grants.instance_id as instanceId', 'service_accounts.status as status', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy(['grants.instance_id', 'service_accounts.status'])
    .execute();
  return rows.map((row) => ({ instanceId: row.instanceId, status: row.status, count: Number(row.count) }));
}

/** Counts the distinct service accounts that hold at least one grant, by status. */
export async function countGrantedAccounts(db: Kysely<Database>): Promise<{ active: number; disabled: number }> {
  const rows = await db
    .selectFrom('service_accounts')
    .where('id', 'in', (eb) => eb.selectFrom('grants').select('account_id'))
    .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy('status')
    .execute();
  const count = (status: string) => Number(rows.find((row) => row.status === status)?.count ?? 0);
  return { active: count('active'), disabled: count('disabled') };
}
