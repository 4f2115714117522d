import { TESSERA_PROFILE_NAME } from '@tessera/shared';
import type { Kysely } from 'kysely';
import { csvCell } from '../admin-api/audit-events.js';
import { timestamp } from '../admin-api/views.js';
import { listInstances } from '../storage/instances.js';
import { countAccountsPerInstance, countGrantedAccounts, listSeats } from '../storage/seats.js';
import type { Database, InstanceSeatsRow } from '../storage/tables.js';

/** Builds the humans part of a report item: the latest count and who reported it (the product's service account or an admin), or null. */
function humansView(row: InstanceSeatsRow | undefined, names: Map<string, string>) {
  if (!row) return null;
  return {
    licensedUsers: Number(row.licensed_users),
    activeUsers: row.active_users === null ? null : Number(row.active_users),
    reportedVia: row.source,
    reportedBy: row.reported_by === null ? null : { type: row.source === 'admin' ? 'admin' : 'service_account', id: row.reported_by, name: names.get(row.reported_by) ?? null },
    reportedAt: timestamp(row.reported_at),
    changedAt: timestamp(row.changed_at),
  };
}

/** Looks up display names of the accounts and admins that reported seats. */
async function reporterNames(db: Kysely<Database>, rows: InstanceSeatsRow[]): Promise<Map<string, string>> {
  const ids = [...new Set(rows.map((row) => row.reported_by).filter((id): id is string => id !== null))];
  if (ids.length === 0) return new Map();

  const [accounts, admins] = await Promise.all([
    db.selectFrom('service_accounts').select(['id', 'name']).where('id', 'in', ids).execute(),
    db.selectFrom('admins').select(['id', 'username as name']).where('id', 'in', ids).execute(),
  ]);
  return new Map([...accounts, ...admins].map((row) => [row.id, row.name]));
}

/**
 * Builds the seat report: per instance, the licensed humans as last reported and the service
 * accounts with a grant there, which take no licensed seat. Totals count each service account
 * once, even when it holds grants on several instances.
 */
export async function buildSeatReport(db: Kysely<Database>, now: number, withinInstances?: string[]) {
  const [allInstances, seats, counts, allGranted] = await Promise.all([listInstances(db), listSeats(db), countAccountsPerInstance(db), countGrantedAccounts(db)]);
  // The tessera instance is Tessera's own admin API, not a licensed product, so it has no seats.
  const products = allInstances.filter((row) => row.profile !== TESSERA_PROFILE_NAME);
  const instances = withinInstances ? products.filter((row) => withinInstances.includes(row.id)) : products;
  const names = await reporterNames(db, seats);
  const seatsByInstance = new Map(seats.map((row) => [row.instance_id, row]));
  const countOf = (instanceId: string, status: string) => counts.find((row) => row.instanceId === instanceId && row.status === status)?.count ?? 0;

  const items = instances.map((instance) => {
    const humans = humansView(seatsByInstance.get(instance.id), names);
    const active = countOf(instance.id, 'active');
    const disabled = countOf(instance.id, 'disabled');
    return {
      instance: { id: instance.id, slug: instance.slug, name: instance.name, profile: instance.profile },
      humans,
      serviceAccounts: { total: active + disabled, active, disabled },
      serviceAccountSeats: 0,
      licensedSeats: humans?.licensedUsers ?? null,
    };
  });

  // An instance-admin's totals add up its own instances only, so an account on two of them counts twice.
  const granted = withinInstances
    ? { active: items.reduce((sum, item) => sum + item.serviceAccounts.active, 0), disabled: items.reduce((sum, item) => sum + item.serviceAccounts.disabled, 0) }
    : allGranted;
  const reported = items.filter((item) => item.humans !== null);
  const activeReported = reported.filter((item) => item.humans!.activeUsers !== null);
  return {
    generatedAt: timestamp(now),
    items,
    nextCursor: null,
    totals: {
      instances: items.length,
      instancesReported: reported.length,
      licensedUsers: reported.reduce((sum, item) => sum + item.humans!.licensedUsers, 0),
      activeUsers: activeReported.length === 0 ? null : activeReported.reduce((sum, item) => sum + item.humans!.activeUsers!, 0),
      serviceAccounts: { total: granted.active + granted.disabled, active: granted.active, disabled: granted.disabled },
      serviceAccountSeats: 0,
    },
  };
}

export type SeatReport = Awaited<ReturnType<typeof buildSeatReport>>;

const CSV_COLUMNS = ['instance', 'instanceName', 'profile', 'licensedUsers', 'activeUsers', 'reportedVia', 'reportedAt', 'serviceAccounts', 'activeServiceAccounts', 'disabledServiceAccounts', 'serviceAccountSeats'];

/** Renders the report's per-instance rows as CSV (RFC 4180, CRLF line ends); the totals stay in the JSON form. */
export function seatReportCsv(report: SeatReport): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const item of report.items) {
    const cells = [
      item.instance.slug,
      item.instance.name,
      item.instance.profile,
      item.humans?.licensedUsers,
      item.humans?.activeUsers,
      item.humans?.reportedVia,
      item.humans?.reportedAt,
      item.serviceAccounts.total,
      item.serviceAccounts.active,
      item.serviceAccounts.disabled,
      item.serviceAccountSeats,
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
