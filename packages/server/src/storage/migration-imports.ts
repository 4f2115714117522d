import type { Kysely } from 'kysely';
import type { Database, MigrationImportRow, MigrationMappingRow, MigrationProposalRow } from './tables.js';

export async function insertImport(db: Kysely<Database>, row: MigrationImportRow, proposals: MigrationProposalRow[]): Promise<void> {
  await db.insertInto('migration_imports').values(row).execute();
  // Batches keep each INSERT under SQLite's limit on bound parameters.
  for (let start = 0; start < proposals.length; start += 50) {
    await db.insertInto('migration_proposals').values(proposals.slice(start, start + 50)).execute();
  }
}

export function findImport(db: Kysely<Database>, id: string): Promise<MigrationImportRow | undefined> {
  return db.selectFrom('migration_imports').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Lists the newest imports first. */
export function listImports(db: Kysely<Database>, limit: number): Promise<MigrationImportRow[]> {
  return db.selectFrom('migration_imports').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(limit).execute();
}

export function proposalsOf(db: Kysely<Database>, importId: string): Promise<MigrationProposalRow[]> {
  return db.selectFrom('migration_proposals').selectAll().where('import_id', '=', importId).orderBy('position').execute();
}

export async function countProposalsByStatus(db: Kysely<Database>, importIds: string[]): Promise<Array<{ importId: string; status: string; count: number }>> {
  if (importIds.length === 0) return [];
  const rows = await db
    .selectFrom('migration_proposals')
    .select(['import_id as importId', 'status', (eb) => eb.fn.countAll<number>().as('count')])
    .where('import_id', 'in', importIds)
    .groupBy(['import_id', 'status'])
    .execute();
  return rows.map((row) => ({ importId: row.importId, status: row.status, count: Number(row.count) }));
}

export function findProposal(db: Kysely<Database>, importId: string, proposalId: string): Promise<MigrationProposalRow | undefined> {
  return db.selectFrom('migration_proposals').selectAll().where('import_id', '=', importId).where('id', '=', proposalId).executeTakeFirst();
}

/**
 * Moves a pending proposal to its decision. Returns false when it was no longer pending, so
 * that two concurrent accepts cannot both create an account.
 */
export async function decideProposal(db: Kysely<Database>, id: string, decision: Pick<MigrationProposalRow, 'status' | 'decided_at' | 'decided_by' | 'account_id'>): Promise<boolean> {
  const result = await db.updateTable('migration_proposals').set(decision).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function insertMapping(db: Kysely<Database>, row: MigrationMappingRow): Promise<void> {
  await db.insertInto('migration_mappings').values(row).execute();
}

export function mappingsOf(db: Kysely<Database>, importId: string): Promise<MigrationMappingRow[]> {
  return db.selectFrom('migration_mappings').selectAll().where('import_id', '=', importId).execute();
}
