import { sql } from 'kysely';
import { DAY_MS } from '../clock.js';
import type { ServerContext } from '../context.js';
import type { Policy } from '../accounts/policy.js';
import { appendRevocations } from '../storage/revocations.js';
import type { ServiceAccountRow } from '../storage/tables.js';
import { enqueueNotification } from './enqueue.js';
import { type NotificationPayload, accountSummary, daysUntil } from './events.js';

type Dormancy = Policy['dormancy'];

/** Returns the start of an account's idle period: its last use, or its creation when it was never used. */
function idleSince(account: ServiceAccountRow): number {
  return Number(account.last_used_at ?? account.created_at);
}

function dormancyEvent(id: string, type: 'account.dormant_warning' | 'account.dormant', account: ServiceAccountRow, rule: Dormancy & { afterDays: number }, now: number, issuer: string): NotificationPayload {
  const since = idleSince(account);
  const dormantAt = since + rule.afterDays * DAY_MS;
  return {
    id,
    type,
    createdAt: new Date(now).toISOString(),
    account: accountSummary(account, issuer),
    dormancy: {
      afterDays: rule.afterDays,
      action: rule.action,
      idleSince: new Date(since).toISOString(),
      dormantAt: new Date(dormantAt).toISOString(),
      daysLeft: daysUntil(dormantAt, now),
      ...(account.dormant_since === null ? {} : { dormantSince: new Date(Number(account.dormant_since)).toISOString() }),
    },
  };
}

/**
 * Runs the dormant-account rule of the policy: warns the contacts of active accounts that are
 * `warnDaysBefore` days from dormant, then flags (or disables) those unused for `afterDays`,
 * and clears the flag of flagged accounts that were used again.
 */
export async function runDormancyJob(ctx: ServerContext, now: number): Promise<void> {
  // The rule reads last-used times from the database, so write this node's pending ones first.
  // NOTE: a use still pending on another node (up to its flush interval, 5 s by default) is not
  // seen, so an account first used again within that window can still be flagged or disabled.
  await ctx.lastUsed.flush();
  await clearReusedAccounts(ctx, now);

  const rule = (await ctx.policies.current()).dormancy;
  if (rule.afterDays === null || rule.afterDays <= 0) return;
  const active = { ...rule, afterDays: rule.afterDays };
  const warnDays = Math.max(0, rule.warnDaysBefore);

  const candidates = await ctx.db
    .selectFrom('service_accounts')
    .selectAll()
    .where('status', '=', 'active')
    .where('dormant_since', 'is', null)
    .where(sql<boolean>`coalesce(last_used_at, created_at) <= ${now - (active.afterDays - warnDays) * DAY_MS}`)
    .execute();

  for (const account of candidates) {
    try {
      await handleCandidate(ctx, account, active, warnDays, now);
    } catch (error) {
      ctx.logger.error({ err: error, accountId: account.id }, 'the dormant-account job failed for an account; it retries on the next cycle');
    }
  }
}

async function handleCandidate(ctx: ServerContext, account: ServiceAccountRow, rule: Dormancy & { afterDays: number }, warnDays: number, now: number): Promise<void> {
  const since = idleSince(account);
  const dormantAt = since + rule.afterDays * DAY_MS;

  let warnedAt: number | undefined;
  if (warnDays > 0) {
    warnedAt = await warnOnce(ctx, account, rule, since, now);
  }
  // An account is flagged only once its contacts have had the full warning period, also when
  // the rule was switched on after the account had long been idle.
  const readyAt = warnedAt === undefined ? dormantAt : Math.max(dormantAt, warnedAt + warnDays * DAY_MS);
  if (now < readyAt) return;

  const flagged = await flagDormant(ctx, account, rule, since, now);
  if (!flagged) return;
  await enqueueNotification(
    ctx.db,
    { account: flagged, credentialId: null, key: `account.dormant:${account.id}:${since}`, build: (id) => dormancyEvent(id, 'account.dormant', flagged, rule, now, ctx.config.issuer) },
    now,
  );
}

/** Records the warning of this idle period once and queues it to the contacts; returns when it was first given. */
async function warnOnce(ctx: ServerContext, account: ServiceAccountRow, rule: Dormancy & { afterDays: number }, since: number, now: number): Promise<number> {
  const existing = await ctx.db.selectFrom('dormancy_warnings').select('warned_at').where('account_id', '=', account.id).where('idle_since', '=', since).executeTakeFirst();
  if (existing) return Number(existing.warned_at);

  await ctx.db
    .insertInto('dormancy_warnings')
    .values({ account_id: account.id, idle_since: since, warned_at: now })
    .onConflict((conflict) => conflict.columns(['account_id', 'idle_since']).doNothing())
    .execute();
  await enqueueNotification(
    ctx.db,
    { account, credentialId: null, key: `account.dormant_warning:${account.id}:${since}`, build: (id) => dormancyEvent(id, 'account.dormant_warning', account, rule, now, ctx.config.issuer) },
    now,
  );
  const stored = await ctx.db.selectFrom('dormancy_warnings').select('warned_at').where('account_id', '=', account.id).where('idle_since', '=', since).executeTakeFirstOrThrow();
  return Number(stored.warned_at);
}

/**
 * Sets dormant_since and, for the `disable` action, disables the account the way an admin's
 * PATCH does: status disabled, a new token generation and a revocation feed entry, in one
 * audited transaction. Returns the account as changed, or undefined when it changed meanwhile.
 */
async function flagDormant(ctx: ServerContext, account: ServiceAccountRow, rule: Dormancy, since: number, now: number): Promise<ServiceAccountRow | undefined> {
  return ctx.audit.transaction(async (trx) => {
    const current = await trx.selectFrom('service_accounts').selectAll().where('id', '=', account.id).executeTakeFirst();
    // Another node, an admin or a token request got there first.
    if (!current || current.status !== 'active' || current.dormant_since !== null || idleSince(current) !== since) return undefined;

    const disable = rule.action === 'disable';
    const after: ServiceAccountRow = {
      ...current,
      dormant_since: now,
      updated_at: now,
      status: disable ? 'disabled' : current.status,
      token_generation: Number(current.token_generation) + (disable ? 1 : 0),
    };
    if (disable) await appendRevocations(trx, [{ kind: 'account', accountId: after.id, generation: after.token_generation }], now);
    await trx
      .updateTable('service_accounts')
      .set({ dormant_since: after.dormant_since, updated_at: after.updated_at, status: after.status, token_generation: after.token_generation })
      .where('id', '=', after.id)
      .execute();

    await ctx.audit.writeInTransaction(trx, [
      {
        actor: { type: 'system' },
        action: disable ? 'account.dormant_disabled' : 'account.dormant_flagged',
        target: { type: 'service_account', id: after.id },
        outcome: 'success',
        details: {
          idleSince: new Date(since).toISOString(),
          afterDays: rule.afterDays,
          before: { status: current.status, dormantSince: null },
          after: { status: after.status, dormantSince: new Date(now).toISOString() },
        },
      },
    ]);
    return after;
  });
}

/** Clears dormant_since on accounts that requested a token after they were flagged. */
async function clearReusedAccounts(ctx: ServerContext, now: number): Promise<void> {
  const reused = await ctx.db
    .selectFrom('service_accounts')
    .select(['id', 'dormant_since', 'last_used_at'])
    .where('dormant_since', 'is not', null)
    .where(sql<boolean>`last_used_at > dormant_since`)
    .execute();

  for (const account of reused) {
    await ctx.audit.transaction(async (trx) => {
      const result = await trx
        .updateTable('service_accounts')
        .set({ dormant_since: null, updated_at: now })
        .where('id', '=', account.id)
        .where('dormant_since', '=', Number(account.dormant_since))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return;

      await ctx.audit.writeInTransaction(trx, [
        {
          actor: { type: 'system' },
          action: 'account.dormant_cleared',
          target: { type: 'service_account', id: account.id },
          outcome: 'success',
          details: { dormantSince: new Date(Number(account.dormant_since)).toISOString(), lastUsedAt: new Date(Number(account.last_used_at)).toISOString() },
        },
      ]);
    });
  }
}
