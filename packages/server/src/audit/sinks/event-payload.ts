import type { Kysely } from 'kysely';
import { auditEventViews } from '../../admin-api/audit-view.js';
import type { AuditEventRow, Database } from '../../storage/tables.js';

/**
 * The JSON form of events that sinks receive: the export's fields (the same as
 * GET /api/v1/audit-events) plus `seq` as a number and `prevHash`, so that a receiver can
 * check that events link up and that none is missing.
 */
export async function sinkEvents(db: Kysely<Database>, rows: AuditEventRow[]) {
  const views = await auditEventViews(db, rows);
  return views.map((view, index) => ({ ...view, seq: Number(rows[index].seq), prevHash: rows[index].prev_hash }));
}

export type SinkEvent = Awaited<ReturnType<typeof sinkEvents>>[number];
