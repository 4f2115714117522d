import type { AuditEventInput } from '../audit/event.js';
import { DAY_MS } from '../clock.js';
import type { ServerContext } from '../context.js';
import { findSeats, saveSeats } from '../storage/seats.js';
import type { InstanceRow, InstanceSeatsRow } from '../storage/tables.js';

export interface SeatCounts {
  licensedUsers: number;
  /** Left out when the reporter does not count active users; the stored value becomes null. */
  activeUsers?: number;
}

export interface SeatReporter {
  source: InstanceSeatsRow['source'];
  /** The reporting service account or admin. */
  actor: AuditEventInput['actor'];
  origin: AuditEventInput['source'];
}

/** The numbers of a seat record as audit events and responses show them. */
export function seatNumbers(row: InstanceSeatsRow) {
  return { licensedUsers: Number(row.licensed_users), activeUsers: row.active_users === null ? null : Number(row.active_users), source: row.source };
}

/**
 * Decides whether a seat report is worth an audit event. An admin's change always is. A
 * product that reports on a schedule gets one when the licensed count or the source changes,
 * and for a change of the active count only, at most one a day, so that a product reporting
 * every few minutes does not flood the log.
 */
function needsAudit(before: InstanceSeatsRow | undefined, after: InstanceSeatsRow, now: number): boolean {
  if (after.source === 'admin' || !before) return true;
  if (before.source !== after.source || Number(before.licensed_users) !== after.licensed_users) return true;

  const activeChanged = (before.active_users === null ? null : Number(before.active_users)) !== after.active_users;
  return activeChanged && now - Number(before.audited_at) >= DAY_MS;
}

/** Stores the latest licensed-user count of an instance, replacing the previous one, and audits it when needed. */
export async function recordSeats(ctx: ServerContext, instance: InstanceRow, counts: SeatCounts, reporter: SeatReporter): Promise<{ row: InstanceSeatsRow; audited: boolean }> {
  return ctx.audit.transaction(async (trx) => {
    const before = await findSeats(trx, instance.id);
    const now = ctx.clock.now();
    const activeUsers = counts.activeUsers ?? null;
    const numbersChanged = !before || Number(before.licensed_users) !== counts.licensedUsers || (before.active_users === null ? null : Number(before.active_users)) !== activeUsers;

    const row: InstanceSeatsRow = {
      instance_id: instance.id,
      licensed_users: counts.licensedUsers,
      active_users: activeUsers,
      source: reporter.source,
      reported_by: reporter.actor.id ?? null,
      reported_at: now,
      changed_at: numbersChanged ? now : Number(before.changed_at),
      audited_at: before ? Number(before.audited_at) : now,
    };
    const audited = needsAudit(before, row, now);
    if (audited) row.audited_at = now;
    await saveSeats(trx, row);

    if (audited) {
      await ctx.audit.writeInTransaction(trx, [
        {
          actor: reporter.actor,
          action: reporter.source === 'admin' ? 'seats.updated' : 'seats.reported',
          target: { type: 'instance', id: instance.id },
          instanceId: instance.id,
          source: reporter.origin,
          outcome: 'success',
          details: { before: before ? seatNumbers(before) : null, after: seatNumbers(row) },
        },
      ]);
    }
    return { row, audited };
  });
}
