import { DAY_MS } from '../clock.js';
import type { ServerContext } from '../context.js';
import type { CredentialRow, ServiceAccountRow } from '../storage/tables.js';
import { enqueueNotification } from './enqueue.js';
import { credentialEvent } from './events.js';

/** Credentials that expired longer ago than this get no `credential.expired` notice, so a first start on an old database sends no backlog. */
export const EXPIRED_NOTICE_WINDOW_MS = 7 * DAY_MS;

/**
 * Returns the lead time that applies now: the smallest lead, in days, that the time left has
 * reached. Only that one is sent, so a credential created with 5 days left gets the 7-day
 * notice and not the 30-day one too.
 */
export function applicableLead(leadDays: number[], expiresAt: number, now: number): number | undefined {
  const left = expiresAt - now;
  const reached = leadDays.filter((days) => Number.isFinite(days) && days > 0 && left <= days * DAY_MS);
  return reached.length > 0 ? Math.min(...reached) : undefined;
}

/**
 * Adds `credential.expiring` deliveries for live credentials of active accounts that reached
 * a lead time, and `credential.expired` ones for those that expired within the last week.
 * Credentials replaced in a rotation are skipped, because their expiry is the planned end of
 * the grace period.
 */
export async function queueExpiryNotifications(ctx: ServerContext, now: number): Promise<number> {
  const policy = await ctx.policies.current();
  const leads = Array.isArray(policy.notifications.expiryLeadDays) ? policy.notifications.expiryLeadDays : [];
  const horizon = now + Math.max(0, ...leads.filter(Number.isFinite)) * DAY_MS;

  const rows = await ctx.db
    .selectFrom('credentials')
    .innerJoin('service_accounts', 'service_accounts.id', 'credentials.account_id')
    .selectAll('credentials')
    .where('service_accounts.status', '=', 'active')
    .where('credentials.revoked_at', 'is', null)
    .where('credentials.replaced_by', 'is', null)
    .where('credentials.expires_at', 'is not', null)
    .where('credentials.expires_at', '>', now - EXPIRED_NOTICE_WINDOW_MS)
    .where('credentials.expires_at', '<=', horizon)
    .execute();
  if (rows.length === 0) return 0;

  const accountIds = [...new Set(rows.map((row) => row.account_id))];
  const accounts = new Map((await ctx.db.selectFrom('service_accounts').selectAll().where('id', 'in', accountIds).execute()).map((row) => [row.id, row]));

  let added = 0;
  for (const row of rows) {
    const account = accounts.get(row.account_id);
    if (!account || account.contacts === '[]') continue;
    added += await queueForCredential(ctx, account, row, leads, now);
  }
  return added;
}

async function queueForCredential(ctx: ServerContext, account: ServiceAccountRow, credential: CredentialRow, leads: number[], now: number): Promise<number> {
  const expiresAt = Number(credential.expires_at);
  const issuer = ctx.config.issuer;

  if (expiresAt <= now) {
    return enqueueNotification(
      ctx.db,
      { account, credentialId: credential.id, key: `credential.expired:${credential.id}`, build: (id) => credentialEvent(id, 'credential.expired', account, credential, undefined, now, issuer) },
      now,
    );
  }

  const lead = applicableLead(leads, expiresAt, now);
  if (lead === undefined) return 0;
  return enqueueNotification(
    ctx.db,
    { account, credentialId: credential.id, key: `credential.expiring:${credential.id}:${lead}`, build: (id) => credentialEvent(id, 'credential.expiring', account, credential, lead, now, issuer) },
    now,
  );
}
