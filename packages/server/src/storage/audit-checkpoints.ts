import type { Kysely } from 'kysely';
import type { AuditCheckpointRow, Database } from './tables.js';

const RETENTION_KEY = 'audit_retention';

export interface RetentionSetting {
  days: number | null;
  updatedAt: number | null;
  updatedBy: string | null;
}

export async function readRetention(db: Kysely<Database>): Promise<RetentionSetting> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', RETENTION_KEY).executeTakeFirst();
  if (!row) return { days: null, updatedAt: null, updatedBy: null };
  return JSON.parse(row.value) as RetentionSetting;
}

export async function saveRetention(db: Kysely<Database>, setting: RetentionSetting): Promise<void> {
  const value = JSON.stringify(setting);
  await db
    .insertInto('meta')
    .values({ key: RETENTION_KEY, value })
    .onConflict((conflict) => conflict.column('key').doUpdateSet({ value }))
    .execute();
}

export function listCheckpoints(db: Kysely<Database>): Promise<AuditCheckpointRow[]> {
  return db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').execute();
}

export async function insertCheckpoint(db: Kysely<Database>, row: AuditCheckpointRow): Promise<void> {
  await db.insertInto('audit_checkpoints').values(row).execute();
}
