import { blocksNoncompliant } from '../../accounts/policy-rules.js';
import type { ServerContext } from '../../context.js';
import { OAuthError } from '../errors.js';
import type { TokenRequest } from './context.js';

/**
 * Removes from the grant the scopes that the policy no longer allows on its instance, once the
 * admin's date for blocking non-compliant access has come. Until then such grants still work
 * and only appear in the policy's non-compliance report.
 */
export function applyScopePolicy(ctx: ServerContext, request: TokenRequest): void {
  const policy = request.policy!;
  if (!blocksNoncompliant(policy, ctx.clock.now())) return;

  const grant = request.grant!;
  const allowed = policy.scopes.allowedByInstance[grant.instanceId];
  const adminLevel = new Set(request.profile!.scopes.filter((scope) => scope.adminLevel).map((scope) => scope.name));
  const kept = grant.scopes.filter((scope) => (allowed === undefined || allowed.includes(scope)) && (policy.scopes.adminScopesAllowed || !adminLevel.has(scope)));
  if (kept.length === grant.scopes.length) return;

  if (kept.length === 0) {
    const error = new OAuthError('invalid_scope', "The organisation's policy no longer allows any scope this account holds on this instance; ask an admin to update its grant.", 'scopes_not_allowed_by_policy');
    error.accountId = request.client!.account.id;
    error.credentialId = request.client!.credential?.id;
    throw error;
  }
  request.grant = { ...grant, scopes: kept };
}
