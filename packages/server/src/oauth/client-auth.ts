import { timingSafeEqual } from 'node:crypto';
import type { ServerContext } from '../context.js';
import { SECRET_PREFIX } from '../crypto/secrets.js';
import { findAccountByClientId } from '../storage/accounts.js';
import type { CredentialRow, GrantRow, InstanceRow, ServiceAccountRow } from '../storage/tables.js';
import { CLIENT_AUTH_FAILED, OAuthError } from './errors.js';
import { single } from './form.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

export interface ClientCredentials {
  clientId: string;
  secret: string;
  method: 'client_secret_basic' | 'client_secret_post';
}

export interface AuthenticatedClient {
  account: ServiceAccountRow;
  credential: CredentialRow;
  method: ClientAuthMethod;
  /** The account's grants and their instances, read together with the account. */
  grants: GrantRow[];
  instances: InstanceRow[];
}

function decodeBasicPart(part: string): string {
  // RFC 6749 §2.3.1: the id and secret are form-urlencoded before Base64. Tessera's own ids
  // and secrets contain neither '%' nor '+', so they skip the decoding.
  if (!part.includes('%') && !part.includes('+')) return part;
  return decodeURIComponent(part.replace(/\+/g, ' '));
}

function invalidBasic(reason: string): OAuthError {
  const error = new OAuthError('invalid_client', CLIENT_AUTH_FAILED, reason);
  error.usedBasic = true;
  return error;
}

/**
 * Reads the client id and secret from an HTTP Basic header or from the body, and rejects a
 * request that uses both methods, since the server would have to pick one silently.
 */
export function extractClientCredentials(authorization: string | undefined, params: Map<string, string[]>): ClientCredentials {
  const bodyId = single(params, 'client_id');
  const bodySecret = single(params, 'client_secret');

  if (authorization !== undefined) {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(authorization.trim());
    if (!match) throw invalidBasic('malformed_authorization_header');
    if (bodySecret !== undefined) {
      throw new OAuthError('invalid_request', 'The request uses two client authentication methods (HTTP Basic and client_secret in the body); use one.', 'two_auth_methods');
    }

    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidBasic('malformed_authorization_header');

    let clientId: string;
    let secret: string;
    try {
      clientId = decodeBasicPart(decoded.slice(0, colon));
      secret = decodeBasicPart(decoded.slice(colon + 1));
    } catch {
      throw invalidBasic('malformed_authorization_header');
    }
    if (bodyId !== undefined && bodyId !== clientId) {
      throw new OAuthError('invalid_request', 'The client_id in the body differs from the one in the Authorization header; send one client id.', 'two_client_ids');
    }
    return { clientId, secret, method: 'client_secret_basic' };
  }

  if (bodyId === undefined || bodySecret === undefined) {
    throw new OAuthError('invalid_client', 'Client authentication is missing: send client_id and client_secret with HTTP Basic or in the body.', 'no_client_authentication');
  }
  return { clientId: bodyId, secret: bodySecret, method: 'client_secret_post' };
}

/** Masks a client id for logs and audit events, because a secret typed in the wrong field must not be stored. */
export function loggableClientId(clientId: string): string {
  return clientId.startsWith(SECRET_PREFIX) ? `${SECRET_PREFIX}[redacted]` : clientId.slice(0, 128);
}

function isSecret(credential: CredentialRow): boolean {
  return credential.kind === 'secret';
}

function matchingCredential(ctx: ServerContext, credentials: CredentialRow[], secret: string): CredentialRow | undefined {
  const presented = Buffer.from(ctx.keyMaterial.hashSecret(secret));
  let match: CredentialRow | undefined;

  // Compare against every credential, without stopping early, so timing reveals nothing.
  for (const credential of credentials) {
    const stored = Buffer.from(credential.secret_hash);
    if (stored.length === presented.length && timingSafeEqual(stored, presented)) match = credential;
  }
  return match;
}

/** Refuses a client id and address that failed too often of late, before any check runs. */
export async function checkThrottle(ctx: ServerContext, clientId: string, sourceIp: string): Promise<void> {
  const retryAfter = Math.max(ctx.throttles.clientAndAddress.retryAfterSeconds(`${clientId}\u0000${sourceIp}`), ctx.throttles.address.retryAfterSeconds(sourceIp));
  if (retryAfter > 0) {
    const error = new OAuthError('slow_down', `Too many failed client authentications; retry after ${retryAfter} seconds.`, 'throttled');
    error.retryAfter = retryAfter;
    // Attribute the refusal to the account, so that its activity shows why its jobs get no tokens.
    error.accountId = (await findAccountByClientId(ctx.db, clientId))?.id;
    throw error;
  }
}

/**
 * Counts a failed client authentication against the throttles and returns the error to throw:
 * always the same public message, with the private reason and the account and credential
 * concerned for the audit event.
 */
export function clientAuthFailure(
  ctx: ServerContext,
  attempt: { clientId: string; sourceIp: string; method: ClientAuthMethod },
  reason: string,
  account?: ServiceAccountRow,
  credential?: CredentialRow,
): OAuthError {
  ctx.throttles.clientAndAddress.recordFailure(`${attempt.clientId}\u0000${attempt.sourceIp}`);
  ctx.throttles.address.recordFailure(attempt.sourceIp);
  const error = new OAuthError('invalid_client', CLIENT_AUTH_FAILED, reason);
  error.usedBasic = attempt.method === 'client_secret_basic';
  error.accountId = account?.id;
  error.credentialId = credential?.id;
  return error;
}

/**
 * Authenticates a client by its secret. Every failure returns the same public message; the
 * reason (unknown client, wrong secret, revoked or expired credential, disabled account)
 * goes only to the audit log. Failures are throttled per client and per source address.
 */
export async function authenticateClient(ctx: ServerContext, credentials: ClientCredentials, sourceIp: string): Promise<AuthenticatedClient> {
  await checkThrottle(ctx, credentials.clientId, sourceIp);

  const attempt = { clientId: credentials.clientId, sourceIp, method: credentials.method };
  const rows = await ctx.tokenClients.client(credentials.clientId);
  if (!rows) {
    ctx.keyMaterial.hashSecret(credentials.secret);
    throw clientAuthFailure(ctx, attempt, 'unknown_client');
  }

  // Public key credentials have an empty hash, which matchingCredential never matches; they
  // are left out all the same, so that a secret can only ever match a secret.
  const { account, grants, instances } = rows;
  const secrets = rows.credentials.filter(isSecret);
  const credential = matchingCredential(ctx, secrets, credentials.secret);
  const now = ctx.clock.now();
  if (!credential) throw clientAuthFailure(ctx, attempt, 'wrong_secret', account);
  if (credential.revoked_at !== null) throw clientAuthFailure(ctx, attempt, 'credential_revoked', account, credential);
  if (credential.expires_at !== null && Number(credential.expires_at) <= now) throw clientAuthFailure(ctx, attempt, 'credential_expired', account, credential);
  if (account.status !== 'active') throw clientAuthFailure(ctx, attempt, 'account_disabled', account, credential);

  return { account, credential, method: credentials.method, grants, instances };
}
