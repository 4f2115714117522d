import type { AuditEventRow } from '../storage/tables.js';

/**
 * Returns the rows before `firstUnsyncedSeq` (AuditWriter.firstUnsyncedSeq), or all of them
 * when it is null, for readers that copy events out of the database. Callers read it after
 * their query, because the query may wait for the connection while a group commits, and the
 * commit marks its rows before they become visible.
 */
export function durableRows<Row extends Pick<AuditEventRow, 'seq'>>(rows: Row[], firstUnsyncedSeq: number | null): Row[] {
  if (firstUnsyncedSeq === null) return rows;
  return rows.filter((row) => Number(row.seq) < firstUnsyncedSeq);
}
