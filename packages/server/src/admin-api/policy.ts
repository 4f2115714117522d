import type { FastifyInstance } from 'fastify';
import { findProfile } from '@tessera/shared';
import { allowedScopesOn, blocksNoncompliant, credentialViolations } from '../accounts/policy-rules.js';
import type { Policy } from '../accounts/policy.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { findPolicyRow, savePolicyRow } from '../storage/policies.js';
import { grantsOnInstances, liveCredentials } from '../storage/policy-report.js';
import type { InstanceRow } from '../storage/tables.js';
import { instanceIndex } from './account-store.js';
import { adminActor, requireRole } from './auth.js';
import { instanceScope } from './permissions.js';
import { type PolicyInput, PolicyBody, parsePolicyInput } from './policy-input.js';
import { policyView } from './policy-view.js';
import { NoQuery } from './schemas.js';
import { DryRunQuery } from './account-desired-state.js';
import { timestamp } from './views.js';

/**
 * Lists what exists today that the policy would not allow if it were created now. That is
 * credentials without an expiry or with too long a lifetime, accounts with more live
 * credentials than the maximum, and grants with scopes the policy no longer allows.
 */
async function noncompliance(ctx: ServerContext, policy: Policy, instances: Map<string, InstanceRow>) {
  const now = ctx.clock.now();
  const credentials = await liveCredentials(ctx.db, now);

  const credentialItems = credentials
    .map((row) => ({ row, violations: credentialViolations(policy, row) }))
    .filter((entry) => entry.violations.length > 0)
    .map(({ row, violations }) => ({ accountId: row.account_id, accountName: row.account_name, credentialId: row.id, createdAt: timestamp(row.created_at), expiresAt: timestamp(row.expires_at), violations }));

  const liveCount = new Map<string, { name: string; count: number }>();
  for (const row of credentials) {
    const entry = liveCount.get(row.account_id) ?? { name: row.account_name, count: 0 };
    entry.count += 1;
    liveCount.set(row.account_id, entry);
  }
  const max = policy.credentials.maxLivePerAccount;
  const accountItems = max === null ? [] : [...liveCount].filter(([, entry]) => entry.count > max).map(([accountId, entry]) => ({ accountId, accountName: entry.name, liveCredentials: entry.count, violations: ['too_many_live_credentials'] }));

  const grants = await grantsOnInstances(ctx.db, Object.keys(policy.scopes.allowedByInstance));
  const grantItems = grants.flatMap((row) => {
    const allowed = allowedScopesOn(policy, row.instance_id)!;
    const disallowed = (JSON.parse(row.scopes) as string[]).filter((scope) => !allowed.has(scope));
    return disallowed.length === 0 ? [] : [{ accountId: row.account_id, accountName: row.account_name, instance: instances.get(row.instance_id)?.slug ?? row.instance_id, scopes: disallowed, violations: ['scope_not_allowed'] }];
  });

  // Admin-level scopes granted while the opt-in was on stay in the report once it is turned off.
  const adminGrants = policy.scopes.adminScopesAllowed ? [] : await adminScopeGrants(ctx, instances);

  return {
    blockFrom: timestamp(policy.credentials.blockNoncompliantFrom),
    blocking: blocksNoncompliant(policy, now),
    credentials: credentialItems,
    accounts: accountItems,
    grants: [...grantItems, ...adminGrants],
  };
}

async function adminScopeGrants(ctx: ServerContext, instances: Map<string, InstanceRow>) {
  const withAdminScopes = [...instances.values()].filter((row) => findProfile(row.profile)?.scopes.some((scope) => scope.adminLevel));
  const grants = await grantsOnInstances(ctx.db, withAdminScopes.map((row) => row.id));
  return grants.flatMap((row) => {
    const profile = findProfile(instances.get(row.instance_id)!.profile)!;
    const adminScopes = (JSON.parse(row.scopes) as string[]).filter((name) => profile.scopes.find((scope) => scope.name === name)?.adminLevel);
    return adminScopes.length === 0 ? [] : [{ accountId: row.account_id, accountName: row.account_name, instance: instances.get(row.instance_id)!.slug, scopes: adminScopes, violations: ['admin_scope_not_allowed'] }];
  });
}

export async function policyRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get('/policy', { schema: { querystring: NoQuery } }, async () => {
    const [row, instances] = await Promise.all([findPolicyRow(ctx.db), instanceIndex(ctx.db)]);
    ctx.policies.invalidate();
    const policy = await ctx.policies.current();
    return { ...policyView(policy, instances), updatedAt: timestamp(row?.updated_at), updatedBy: row?.updated_by ?? null };
  });

  app.get('/policy/noncompliance', { schema: { querystring: NoQuery } }, async (request) => {
    const instances = await instanceIndex(ctx.db);
    ctx.policies.invalidate();
    const report = await noncompliance(ctx, await ctx.policies.current(), instances);
    const scope = instanceScope(request);
    if (!scope) return report;

    // An instance-admin reads only accounts with access to one of its instances, as in GET /service-accounts.
    const readable = new Set((await grantsOnInstances(ctx.db, scope)).map((row) => row.account_id));
    const visible = (item: { accountId: string }) => readable.has(item.accountId);
    return { ...report, credentials: report.credentials.filter(visible), accounts: report.accounts.filter(visible), grants: report.grants.filter(visible) };
  });

  // An unchanged policy is not written or audited, and `changes` lists the fields that changed;
  // with ?dryRun=true nothing is written and `changes` lists the fields that would change.
  app.put('/policy', { schema: { querystring: DryRunQuery, body: PolicyBody } }, async (request) => {
    requireRole(request, 'admin');
    const instances = await instanceIndex(ctx.db);
    const policy = parsePolicyInput(request.body as PolicyInput, ctx.policies.defaults(), instances);
    const now = ctx.clock.now();
    const adminId = request.admin!.id;

    ctx.policies.invalidate();
    const before = await ctx.policies.current();
    const changes = changedFields(policyView(before, instances), policyView(policy, instances));
    if ((request.query as { dryRun?: string }).dryRun === 'true' || changes.length === 0) {
      const row = await findPolicyRow(ctx.db);
      const report = await noncompliance(ctx, policy, instances);
      const updated = changes.length === 0 ? { updatedAt: timestamp(row?.updated_at), updatedBy: row?.updated_by ?? null } : { updatedAt: null, updatedBy: null };
      return { ...policyView(policy, instances), ...updated, noncompliant: { credentials: report.credentials.length, accounts: report.accounts.length, grants: report.grants.length }, changes };
    }

    await ctx.audit.transaction(async (trx) => {
      await savePolicyRow(trx, { document: JSON.stringify(policy), updated_at: now, updated_by: adminId });
      await ctx.audit.writeInTransaction(trx, [
        { actor: adminActor(request), action: 'policy.updated', target: { type: 'policy', id: 'organisation' }, source: sourceOf(request), outcome: 'success', details: { before: policyView(before, instances), after: policyView(policy, instances) } },
      ]);
    });
    ctx.policies.invalidate();

    const report = await noncompliance(ctx, policy, instances);
    return {
      ...policyView(policy, instances),
      updatedAt: timestamp(now),
      updatedBy: adminId,
      noncompliant: { credentials: report.credentials.length, accounts: report.accounts.length, grants: report.grants.length },
      changes,
    };
  });
}

/** Serialises with object keys sorted, so that the order of instances in allowedByInstance does not count as a change. */
function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return JSON.stringify(value);
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(',')}}`;
}

/** Lists the fields, such as `credentials.maxLifetimeDays`, whose values differ between two policy views. */
function changedFields(before: Record<string, object>, after: Record<string, object>): string[] {
  const changes: string[] = [];
  for (const [section, fields] of Object.entries(after)) {
    const old = (before[section] ?? {}) as Record<string, unknown>;
    for (const [field, value] of Object.entries(fields)) {
      if (stableJson(old[field]) !== stableJson(value)) changes.push(`${section}.${field}`);
    }
  }
  return changes;
}
