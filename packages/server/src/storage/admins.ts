import type { Kysely } from 'kysely';
import type { AdminRow, Database, SessionRow } from './tables.js';

export function findAdminByUsername(db: Kysely<Database>, username: string): Promise<AdminRow | undefined> {
  return db.selectFrom('admins').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function countAdmins(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('admins').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function insertAdmin(db: Kysely<Database>, row: AdminRow): Promise<void> {
  await db.insertInto('admins').values(row).execute();
}

export async function insertSession(db: Kysely<Database>, row: SessionRow): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

/** Finds a live session and its admin; expired sessions are not returned. */
export function findSession(db: Kysely<Database>, idHash: string, now: number) {
  return db
    .selectFrom('sessions')
    .innerJoin('admins', 'admins.id', 'sessions.admin_id')
    .select(['sessions.id_hash', 'sessions.csrf_token', 'sessions.expires_at', 'admins.id as admin_id', 'admins.username', 'admins.role'])
    .where('sessions.id_hash', '=', idHash)
    .where('sessions.expires_at', '>', now)
    .executeTakeFirst();
}

export async function deleteSession(db: Kysely<Database>, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}

export async function deleteExpiredSessions(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
}

export function findAdmin(db: Kysely<Database>, id: string): Promise<AdminRow | undefined> {
  return db.selectFrom('admins').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listAdmins(db: Kysely<Database>): Promise<AdminRow[]> {
  return db.selectFrom('admins').selectAll().orderBy('username').execute();
}

export async function updateAdmin(db: Kysely<Database>, row: AdminRow): Promise<void> {
  const { id, ...rest } = row;
  await db.updateTable('admins').set(rest).where('id', '=', id).execute();
}

export async function deleteAdmin(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('admins').where('id', '=', id).execute();
}

/** Returns the ids of the instances an instance-admin manages, sorted. */
export async function adminInstanceIds(db: Kysely<Database>, adminId: string): Promise<string[]> {
  const rows = await db.selectFrom('admin_instances').select('instance_id').where('admin_id', '=', adminId).orderBy('instance_id').execute();
  return rows.map((row) => row.instance_id);
}

export async function replaceAdminInstances(db: Kysely<Database>, adminId: string, instanceIds: string[]): Promise<void> {
  await db.deleteFrom('admin_instances').where('admin_id', '=', adminId).execute();
  if (instanceIds.length > 0) await db.insertInto('admin_instances').values(instanceIds.map((instance_id) => ({ admin_id: adminId, instance_id }))).execute();
}
