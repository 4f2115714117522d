import type { Kysely } from 'kysely';
import type { Database, InstanceRow } from './tables.js';

export function listInstances(db: Kysely<Database>): Promise<InstanceRow[]> {
  return db.selectFrom('instances').selectAll().orderBy('slug').execute();
}

/** Finds an instance by its slug or its id, the two ways the admin API lets callers name one. */
export function findInstance(db: Kysely<Database>, slugOrId: string): Promise<InstanceRow | undefined> {
  return db
    .selectFrom('instances')
    .selectAll()
    .where((eb) => eb.or([eb('slug', '=', slugOrId), eb('id', '=', slugOrId)]))
    .executeTakeFirst();
}

/** Finds the instances with these ids; ids without an instance are left out. */
export function findInstances(db: Kysely<Database>, ids: string[]): Promise<InstanceRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('instances').selectAll().where('id', 'in', ids).execute();
}

export function findInstanceByAudience(db: Kysely<Database>, audience: string): Promise<InstanceRow | undefined> {
  return db.selectFrom('instances').selectAll().where('audience', '=', audience).executeTakeFirst();
}

export async function insertInstance(db: Kysely<Database>, row: InstanceRow): Promise<void> {
  await db.insertInto('instances').values(row).execute();
}

export async function updateInstance(db: Kysely<Database>, row: InstanceRow): Promise<void> {
  const { id, ...rest } = row;
  await db.updateTable('instances').set(rest).where('id', '=', id).execute();
}

export async function deleteInstance(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('instances').where('id', '=', id).execute();
}

export async function countGrantsOnInstance(db: Kysely<Database>, instanceId: string): Promise<number> {
  const row = await db
    .selectFrom('grants')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('instance_id', '=', instanceId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
