import type { Kysely } from 'kysely';
import type { ServerContext } from '../../context.js';
import { insertOpaqueToken } from '../../storage/opaque-tokens.js';
import type { Database } from '../../storage/tables.js';
import { loggableClientId } from '../client-auth.js';
import { OAuthError } from '../errors.js';
import { single } from '../form.js';
import { authenticate } from './authenticate.js';
import { applyScopePolicy } from './apply-scope-policy.js';
import { checkDpop } from './check-dpop.js';
import { checkGrantType } from './check-grant-type.js';
import { enforceGuardrails } from './enforce-guardrails.js';
import { authenticatorId, type IssuedToken, type TokenRequest } from './context.js';
import { outsideTokenDetails } from './grant-types/jwt-bearer.js';
import { issueAccessToken } from './issue.js';
import { resolveScopes } from './resolve-scopes.js';
import { selectGrant } from './select-grant.js';

/**
 * Runs a token request through its steps and returns the token only after the audit event
 * that records it is durable. A refused request is audited too, with its private reason.
 */
export async function handleTokenRequest(ctx: ServerContext, request: TokenRequest): Promise<IssuedToken> {
  try {
    checkGrantType(request);
    await authenticate(ctx, request);
    await enforceGuardrails(ctx, request);
    await checkDpop(ctx, request);
    await selectGrant(ctx, request);
    applyScopePolicy(ctx, request);
    resolveScopes(request);
    const token = issueAccessToken(ctx, request);

    await auditIssued(ctx, request, token);
    recordUse(ctx, request);
    return token;
  } catch (error) {
    if (error instanceof OAuthError) await auditRefused(ctx, request, error);
    throw error;
  }
}

function recordUse(ctx: ServerContext, request: TokenRequest): void {
  const client = request.client!;
  const via = client.federation ? 'federation' : 'credential';
  ctx.lastUsed.record({ accountId: client.account.id, credentialId: authenticatorId(client), via, at: ctx.clock.now(), ip: request.sourceIp });
}

function auditIssued(ctx: ServerContext, request: TokenRequest, token: IssuedToken): Promise<void> {
  const { account, credential, method } = request.client!;
  const claims = token.opaqueClaims;
  const storeOpaqueToken = claims && ((trx: Kysely<Database>) => insertOpaqueToken(trx, token.accessToken, claims, Number(claims.exp) * 1000));
  return ctx.audit.write({
    actor: { type: 'service_account', id: account.id, credentialId: credential?.id ?? null },
    action: 'token.issued',
    target: { type: 'instance', id: request.instance!.id },
    instanceId: request.instance!.id,
    source: { ip: request.sourceIp, userAgent: request.userAgent },
    outcome: 'success',
    details: {
      jti: token.jti,
      scope: token.scope,
      expiresIn: token.expiresIn,
      authMethod: method,
      ...outsideTokenDetails(request),
      ...(claims ? { format: 'opaque' } : {}),
      ...(request.dpopKeyThumbprint ? { dpopJkt: request.dpopKeyThumbprint } : {}),
      ...(request.rateLimitExceeded ? { rateLimitExceeded: request.rateLimitExceeded } : {}),
    },
  }, storeOpaqueToken);
}

async function auditRefused(ctx: ServerContext, request: TokenRequest, error: OAuthError): Promise<void> {
  const accountId = request.client?.account.id ?? error.accountId;
  const clientId = request.presentedClientId ?? single(request.params, 'client_id');

  try {
    await ctx.audit.write({
      actor: accountId ? { type: 'service_account', id: accountId, credentialId: request.client?.credential?.id ?? error.credentialId } : { type: 'anonymous' },
      action: 'token.refused',
      instanceId: request.instance?.id ?? null,
      source: { ip: request.sourceIp, userAgent: request.userAgent },
      outcome: 'failure',
      reason: error.reason,
      details: { error: error.code, ...(accountId || !clientId ? {} : { clientId: loggableClientId(clientId) }), ...outsideTokenDetails(request), ...error.auditDetails },
    });
  } catch (auditError) {
    // The client gets its OAuth error either way; a lost refusal event is logged instead.
    (request.log ?? ctx.logger).error({ err: auditError, reason: error.reason }, 'writing the audit event of a rejected token request failed');
  }
}
