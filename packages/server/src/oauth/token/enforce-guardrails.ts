import { allowlistContains } from '../../accounts/ip-allowlist.js';
import type { RateLimit } from '../../accounts/guardrails.js';
import { blocksNoncompliant, credentialViolations } from '../../accounts/policy-rules.js';
import type { ServerContext } from '../../context.js';
import { OAuthError } from '../errors.js';
import type { TokenRequest } from './context.js';

function refusal(request: TokenRequest, error: OAuthError): OAuthError {
  error.accountId = request.client!.account.id;
  error.credentialId = request.client!.credential?.id;
  return error;
}

/**
 * Applies the organisation's policy and the account's own guardrails once the client is known:
 * a credential that the policy no longer allows (from the date the admin set), a source
 * address outside the allowlist, and the account's rate limit. A federated request has no
 * stored credential, so only the allowlist and the rate limit apply to it.
 */
export async function enforceGuardrails(ctx: ServerContext, request: TokenRequest): Promise<void> {
  const { account, credential } = request.client!;
  const policy = await ctx.policies.current();
  const now = ctx.clock.now();
  request.policy = policy;

  if (credential && blocksNoncompliant(policy, now)) {
    const violations = credentialViolations(policy, credential);
    if (violations.length > 0) {
      throw refusal(request, new OAuthError('invalid_client', "This credential does not meet the organisation's credential policy; ask an admin to rotate it.", `credential_noncompliant:${violations.join(',')}`));
    }
  }

  const allowlist = account.ip_allowlist === null ? policy.network.defaultIpAllowlist : (JSON.parse(account.ip_allowlist) as string[]);
  if (allowlist !== null && !allowlistContains(allowlist, request.sourceIp)) {
    throw refusal(request, new OAuthError('access_denied', "This client may not request tokens from this network address; ask an admin to add it to the account's IP allowlist.", 'ip_not_allowed'));
  }

  if (account.rate_limit !== null) {
    const limit = JSON.parse(account.rate_limit) as RateLimit;
    const decision = ctx.rateLimiter.take(account.id, limit);
    if (decision.exceeded === false) return;

    if (limit.mode === 'log_only') {
      request.rateLimitExceeded = decision.exceeded;
      return;
    }
    const window = decision.exceeded === 'perMinute' ? `${limit.perMinute} per minute` : `${limit.perDay} per day`;
    const error = refusal(request, new OAuthError('slow_down', `This client may request ${window} tokens; retry after ${decision.retryAfterSeconds} seconds.`, `rate_limited:${decision.exceeded}`));
    error.retryAfter = decision.retryAfterSeconds;
    throw error;
  }
}
