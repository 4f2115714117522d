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
