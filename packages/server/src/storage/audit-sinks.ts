import type { Kysely } from 'kysely';
import type { AuditEventRow, AuditSinkRow, Database } from './tables.js';

export function listAuditSinks(db: Kysely<Database>): Promise<AuditSinkRow[]> {
  return db.selectFrom('audit_sinks').selectAll().orderBy('name').execute();
}

export function findAuditSink(db: Kysely<Database>, id: string): Promise<AuditSinkRow | undefined> {
  return db.selectFrom('audit_sinks').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findAuditSinkByName(db: Kysely<Database>, name: string): Promise<AuditSinkRow | undefined> {
  return db.selectFrom('audit_sinks').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function insertAuditSink(db: Kysely<Database>, row: AuditSinkRow): Promise<void> {
  await db.insertInto('audit_sinks').values(row).execute();
}

export async function updateAuditSinkSettings(db: Kysely<Database>, row: AuditSinkRow): Promise<void> {
  await db
    .updateTable('audit_sinks')
    .set({ name: row.name, settings: row.settings, enabled: row.enabled, failures: row.failures, next_attempt_at: row.next_attempt_at, updated_at: row.updated_at })
    .where('id', '=', row.id)
    .execute();
}

export async function deleteAuditSink(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('audit_sinks').where('id', '=', id).execute();
}

/** The newest event's seq, or 0 for an empty log. */
export async function auditHeadSeq(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('audit_events').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ? Number(row.seq) : 0;
}

/** The first event after a sink's cursor: the oldest one it has not received. */
export function firstUndelivered(db: Kysely<Database>, cursorSeq: number): Promise<Pick<AuditEventRow, 'seq' | 'occurred_at'> | undefined> {
  return db.selectFrom('audit_events').select(['seq', 'occurred_at']).where('seq', '>', cursorSeq).orderBy('seq').limit(1).executeTakeFirst();
}

export function eventsAfter(db: Kysely<Database>, cursorSeq: number, limit: number): Promise<AuditEventRow[]> {
  return db.selectFrom('audit_events').selectAll().where('seq', '>', cursorSeq).orderBy('seq').limit(limit).execute();
}

/** Enabled sinks whose backoff has ended and that no other node holds. */
export function dueAuditSinks(db: Kysely<Database>, now: number, owner: string): Promise<AuditSinkRow[]> {
  return db
    .selectFrom('audit_sinks')
    .selectAll()
    .where('enabled', '=', 1)
    .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
    .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', owner), eb('lease_expires_at', '<', now)]))
    .orderBy('id')
    .execute();
}

/**
 * Claims or renews a sink's lease for `owner`. One statement, so two nodes that race for a
 * free or expired lease cannot both win: the second update no longer matches.
 */
export async function claimAuditSink(db: Kysely<Database>, id: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
  const result = await db
    .updateTable('audit_sinks')
    .set({ lease_owner: owner, lease_expires_at: now + leaseMs })
    .where('id', '=', id)
    .where('enabled', '=', 1)
    .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', owner), eb('lease_expires_at', '<', now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function releaseAuditSinks(db: Kysely<Database>, owner: string): Promise<void> {
  await db.updateTable('audit_sinks').set({ lease_owner: null, lease_expires_at: null }).where('lease_owner', '=', owner).execute();
}

/**
 * Moves the cursor after a delivery. It only moves forward from the cursor the batch was read
 * at, and only while this node holds the lease, so a lease lost mid-batch does not move it.
 */
export async function recordDelivery(db: Kysely<Database>, id: string, owner: string, fromSeq: number, toSeq: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('audit_sinks')
    .set({ cursor_seq: toSeq, last_delivered_at: now, last_attempt_at: now, last_error: null, failures: 0, next_attempt_at: null })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('cursor_seq', '=', fromSeq)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function recordFailure(db: Kysely<Database>, id: string, failures: number, error: string, now: number, nextAttemptAt: number): Promise<void> {
  await db.updateTable('audit_sinks').set({ failures, last_error: error, last_attempt_at: now, next_attempt_at: nextAttemptAt }).where('id', '=', id).execute();
}

/** The lowest cursor among enabled sinks, or null when there is none: events above it are not delivered everywhere yet. */
export async function lowestEnabledCursor(db: Kysely<Database>): Promise<number | null> {
  const row = await db.selectFrom('audit_sinks').select((eb) => eb.fn.min<number>('cursor_seq').as('cursor')).where('enabled', '=', 1).executeTakeFirst();
  return row?.cursor === null || row?.cursor === undefined ? null : Number(row.cursor);
}
