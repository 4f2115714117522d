import type { Kysely } from 'kysely';
import type { Database, PolicyRow } from './tables.js';

export const POLICY_ROW_ID = 'organisation';

export async function findPolicyRow(db: Kysely<Database>): Promise<PolicyRow | undefined> {
  return db.selectFrom('policies').selectAll().where('id', '=', POLICY_ROW_ID).executeTakeFirst();
}

export async function savePolicyRow(db: Kysely<Database>, row: Omit<PolicyRow, 'id'>): Promise<void> {
  await db
    .insertInto('policies')
    .values({ id: POLICY_ROW_ID, ...row })
    .onConflict((conflict) => conflict.column('id').doUpdateSet({ document: row.document, updated_at: row.updated_at, updated_by: row.updated_by }))
    .execute();
}
