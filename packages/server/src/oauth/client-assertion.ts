import type { KeyObject } from 'node:crypto';
import type { JWK, JWTPayload } from 'jose';
import type { ServerContext } from '../context.js';
import type { CredentialRow, ServiceAccountRow } from '../storage/tables.js';
import { consumeAssertionId } from '../storage/used-assertions.js';
import { type AuthenticatedClient, checkThrottle, clientAuthFailure } from './client-auth.js';
import { OAuthError } from './errors.js';
import { single } from './form.js';
import { CLOCK_SKEW_SECONDS, checkJwtWithKey, isValidJti, lifetimeFailure, type PeekedJwt, peekJwt, replayWindowEnd, unverifiedReason } from './jwt-assertions.js';
import { CLIENT_ASSERTION_ALGORITHMS, importVerificationKey, keyFitsAlgorithm } from './public-keys.js';
import { RemoteKeyError } from './remote-keys.js';

/**
 * private_key_jwt client authentication (RFC 7523 §2.2, OpenID Connect Core §9): the client
 * signs a short-lived JWT with a private key whose public half an admin registered as one of
 * the account's credentials, inline as a JWK or as a JWKS URL.
 */

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Longest lifetime an assertion may claim: `exp` at most this far ahead. */
export const MAX_CLIENT_ASSERTION_LIFETIME_SECONDS = 300;

export interface PresentedAssertion {
  assertion: string;
  /** The client id the request names: `client_id` from the body, else the assertion's unverified `sub`. */
  clientId: string | undefined;
  peeked: PeekedJwt | undefined;
}

/** The audiences an assertion may name: the token endpoint, its alias, or the issuer itself. */
export function assertionAudiences(issuer: string): string[] {
  return [`${issuer}/oauth/token`, `${issuer}/rest/oauth2/latest/token`, issuer];
}

/**
 * Reads client_assertion and client_assertion_type; undefined when the request uses neither.
 * A request that also sends HTTP Basic or client_secret is refused, as for two secrets.
 */
export function extractClientAssertion(authorization: string | undefined, params: Map<string, string[]>): PresentedAssertion | undefined {
  const type = single(params, 'client_assertion_type');
  const assertion = single(params, 'client_assertion');
  if (type === undefined && assertion === undefined) return undefined;

  if (authorization !== undefined || single(params, 'client_secret') !== undefined) {
    throw new OAuthError('invalid_request', 'The request uses two client authentication methods (client_assertion and HTTP Basic or client_secret); use one.', 'two_auth_methods');
  }
  if (type !== CLIENT_ASSERTION_TYPE) {
    throw new OAuthError('invalid_request', `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}.`, type === undefined ? 'missing_assertion_type' : 'unsupported_assertion_type');
  }
  if (assertion === undefined) {
    throw new OAuthError('invalid_request', 'client_assertion is missing: send the signed JWT with client_assertion_type.', 'missing_client_assertion');
  }

  const peeked = peekJwt(assertion);
  const subject = typeof peeked?.claims.sub === 'string' ? peeked.claims.sub : undefined;
  const bodyId = single(params, 'client_id');
  if (bodyId !== undefined && subject !== undefined && bodyId !== subject) {
    throw new OAuthError('invalid_request', 'The client_id in the body differs from the sub of client_assertion; send one client id.', 'two_client_ids');
  }
  return { assertion, clientId: bodyId ?? subject, peeked };
}

interface Candidate {
  credential: CredentialRow;
  keys: KeyObject[];
}

function isLive(credential: CredentialRow, now: number): boolean {
  return credential.revoked_at === null && (credential.expires_at === null || Number(credential.expires_at) > now);
}

/**
 * Authenticates a client by a signed assertion. Every failure answers invalid_client with the
 * same message as a wrong secret; the private reason goes to the audit event. Failures count
 * against the same throttles as wrong secrets.
 */
export async function authenticateClientAssertion(ctx: ServerContext, presented: PresentedAssertion, sourceIp: string): Promise<AuthenticatedClient> {
  const clientId = presented.clientId ?? '';
  await checkThrottle(ctx, clientId, sourceIp);

  const attempt = { clientId, sourceIp, method: 'private_key_jwt' as const };
  const fail = (reason: string, account?: ServiceAccountRow, credential?: CredentialRow): never => {
    throw clientAuthFailure(ctx, attempt, reason, account, credential);
  };

  const { peeked } = presented;
  if (!peeked || typeof peeked.claims.sub !== 'string') return fail('assertion_malformed');
  const rows = await ctx.tokenClients.client(peeked.claims.sub);
  if (!rows) return fail('unknown_client');
  const { account, grants, instances } = rows;
  // No none, no HMAC: a shared key, even the client secret, must not stand in for a private key.
  if (!(CLIENT_ASSERTION_ALGORITHMS as readonly string[]).includes(peeked.header.alg)) return fail('assertion_alg_not_allowed', account);

  const now = ctx.clock.now();
  // Live keys first, so a key registered again after a revocation is found as the live one.
  const keyCredentials = rows.credentials
    .filter((credential) => credential.kind === 'public_key')
    .sort((a, b) => Number(isLive(b, now)) - Number(isLive(a, now)));
  if (keyCredentials.length === 0) return fail('assertion_key_unknown', account);

  let unreachable = false;
  let anyKeyFits = false;
  let match: { credential: CredentialRow; payload: JWTPayload; failure?: string } | undefined;

  for await (const candidate of candidatesFor(ctx, keyCredentials, peeked.header, () => (unreachable = true))) {
    for (const key of candidate.keys) {
      anyKeyFits = true;
      const check = await checkJwtWithKey(presented.assertion, key, {
        algorithms: [peeked.header.alg],
        issuer: account.client_id,
        subject: account.client_id,
        audience: assertionAudiences(ctx.config.issuer),
        requiredClaims: ['exp', 'jti'],
        currentDate: new Date(now),
        clockTolerance: CLOCK_SKEW_SECONDS,
      });
      if (check.status === 'verified') {
        match = { credential: candidate.credential, payload: check.payload, failure: check.failure };
        break;
      }
    }
    if (match) break;
  }

  if (!match) return fail(unverifiedReason(anyKeyFits, unreachable), account);
  const { credential, payload } = match;
  if (credential.revoked_at !== null) return fail('credential_revoked', account, credential);
  if (credential.expires_at !== null && Number(credential.expires_at) <= now) return fail('credential_expired', account, credential);
  if (account.status !== 'active') return fail('account_disabled', account, credential);

  const failure = match.failure ?? lifetimeFailure(payload, now, MAX_CLIENT_ASSERTION_LIFETIME_SECONDS) ?? (isValidJti(payload.jti) ? undefined : 'assertion_invalid_jti');
  if (failure !== undefined) return fail(failure, account, credential);

  if (!(await consumeAssertionId(ctx.db, `client:${account.id}`, payload.jti as string, replayWindowEnd(payload), now))) {
    return fail('assertion_replayed', account, credential);
  }
  return { account, credential, method: 'private_key_jwt', grants, instances };
}

/**
 * The keys of each credential that fit the assertion's header: its kid, when both name one,
 * and its algorithm. Yields one credential at a time, so that a JWKS URL is only consulted
 * when no earlier credential's key verified.
 */
async function* candidatesFor(ctx: ServerContext, credentials: CredentialRow[], header: { alg: string; kid?: string }, onUnreachable: () => void): AsyncGenerator<Candidate> {
  for (const credential of credentials) {
    if (credential.public_jwk !== null) {
      const jwk = JSON.parse(credential.public_jwk) as JWK;
      const kidMatches = header.kid === undefined || jwk.kid === undefined || jwk.kid === header.kid;
      yield { credential, keys: kidMatches && keyFitsAlgorithm(jwk, header.alg) ? [importVerificationKey(jwk)] : [] };
    } else if (credential.jwks_url !== null) {
      try {
        yield { credential, keys: await ctx.remoteKeys.keysFor(credential.jwks_url, header) };
      } catch (error) {
        if (!(error instanceof RemoteKeyError)) throw error;
        onUnreachable();
      }
    }
  }
}
