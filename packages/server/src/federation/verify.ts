import type { KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { ServerContext } from '../context.js';
import { ASSERTION_GRANT_FAILED, OAuthError } from '../oauth/errors.js';
import { CLOCK_SKEW_SECONDS, checkJwtWithKey, isValidJti, lifetimeFailure, peekJwt, replayWindowEnd, unverifiedReason } from '../oauth/jwt-assertions.js';
import { ISSUER_ALGORITHMS } from '../oauth/public-keys.js';
import { RemoteKeyError } from '../oauth/remote-keys.js';
import { findAccount } from '../storage/accounts.js';
import { federationsByIssuer } from '../storage/federations.js';
import type { FederationRow, ServiceAccountRow } from '../storage/tables.js';
import { consumeAssertionId } from '../storage/used-assertions.js';
import { subjectMatches } from './rules.js';

/**
 * Verifies a token from an outside workload identity issuer (RFC 7523 §2.1) and finds the
 * one trust rule that accepts it. The signature is checked against the issuer's JWKS before
 * any rule is looked at; then the token's lifetime, and per rule its audience, subject and
 * further claims. Exactly one live rule must match.
 */

/** Longest remaining lifetime an outside token may have, and the oldest it may be by `iat`. */
export const MAX_OUTSIDE_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;
export const MAX_OUTSIDE_TOKEN_AGE_SECONDS = 24 * 60 * 60;

export interface FederatedIdentity {
  account: ServiceAccountRow;
  federation: FederationRow;
  /** The outside token's subject, for the audit event. */
  subject: string;
}

/** How far a rule got before it failed: a failure further along explains a refusal better. */
const RULE_FAILURE_RANK: Record<string, number> = { assertion_wrong_audience: 1, federation_subject_mismatch: 2, federation_claim_mismatch: 3 };

function audiencesOf(payload: JWTPayload): string[] {
  if (typeof payload.aud === 'string') return [payload.aud];
  return Array.isArray(payload.aud) ? payload.aud.filter((aud): aud is string => typeof aud === 'string') : [];
}

function ruleFailure(rule: FederationRow, payload: JWTPayload, subject: string): string | undefined {
  if (!audiencesOf(payload).includes(rule.audience)) return 'assertion_wrong_audience';
  const subjectFits = rule.subject !== null ? subject === rule.subject : subjectMatches(rule.subject_pattern ?? '', subject);
  if (!subjectFits) return 'federation_subject_mismatch';
  const claims = JSON.parse(rule.claims) as Record<string, string>;
  if (Object.entries(claims).some(([name, value]) => payload[name] !== value)) return 'federation_claim_mismatch';
  return undefined;
}

/** The key source of a rule: its JWKS URL, or the issuer's discovery document. */
function sourceOf(rule: FederationRow): string {
  return rule.jwks_url ?? `discovery:${rule.issuer}`;
}

export async function verifyOutsideToken(ctx: ServerContext, assertion: string): Promise<FederatedIdentity> {
  const peeked = peekJwt(assertion);
  const issuer = typeof peeked?.claims.iss === 'string' ? peeked.claims.iss : undefined;

  const refuse = (reason: string, rule?: FederationRow, details: Record<string, unknown> = {}): never => {
    const error = new OAuthError('invalid_grant', ASSERTION_GRANT_FAILED, reason);
    error.accountId = rule?.account_id;
    error.auditDetails = { ...(issuer !== undefined ? { issuer: issuer.slice(0, 500) } : {}), ...(rule ? { federationId: rule.id } : {}), ...details };
    throw error;
  };
  /** Names the rule in the audit event when it is the only one concerned. */
  const only = (rules: FederationRow[]) => (rules.length === 1 ? rules[0] : undefined);

  if (!peeked || issuer === undefined) return refuse('assertion_malformed');
  if (!(ISSUER_ALGORITHMS as readonly string[]).includes(peeked.header.alg)) return refuse('assertion_alg_not_allowed');

  const rules = await federationsByIssuer(ctx.db, issuer);
  if (rules.length === 0) return refuse('federation_untrusted_issuer');

  // Check the signature once per key source; a rule whose source did not verify cannot match.
  const now = ctx.clock.now();
  const verifiedSources = new Set<string>();
  let payload: JWTPayload | undefined;
  let claimFailure: string | undefined;
  let anyKeyFits = false;
  let unreachable = false;
  for (const source of new Set(rules.map(sourceOf))) {
    let keys: KeyObject[];
    try {
      const url = source.startsWith('discovery:') ? await ctx.remoteKeys.jwksUriOf(issuer) : source;
      keys = await ctx.remoteKeys.keysFor(url, peeked.header);
    } catch (error) {
      if (!(error instanceof RemoteKeyError)) throw error;
      unreachable = true;
      continue;
    }
    for (const key of keys) {
      anyKeyFits = true;
      const check = await checkJwtWithKey(assertion, key, {
        algorithms: [peeked.header.alg],
        issuer,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(now),
        clockTolerance: CLOCK_SKEW_SECONDS,
      });
      if (check.status === 'verified') {
        verifiedSources.add(source);
        payload = check.payload;
        claimFailure = check.failure;
        break;
      }
    }
  }

  const candidates = rules.filter((rule) => verifiedSources.has(sourceOf(rule)));
  if (!payload) return refuse(unverifiedReason(anyKeyFits, unreachable), only(rules));

  const lifetime = claimFailure ?? lifetimeFailure(payload, now, MAX_OUTSIDE_TOKEN_LIFETIME_SECONDS, MAX_OUTSIDE_TOKEN_AGE_SECONDS);
  if (lifetime !== undefined) return refuse(lifetime, only(candidates));
  if (typeof payload.sub !== 'string') return refuse('assertion_invalid_claim', only(candidates));
  const subject = payload.sub;
  const subjectDetail = { subject: subject.slice(0, 500) };

  const failures = candidates.map((rule) => ({ rule, failure: ruleFailure(rule, payload, subject) }));
  const matches = failures.filter((entry) => entry.failure === undefined).map((entry) => entry.rule);
  const live = matches.filter((rule) => rule.revoked_at === null);

  if (live.length > 1) {
    return refuse('federation_ambiguous', undefined, { ...subjectDetail, federationIds: live.map((rule) => rule.id), accountIds: [...new Set(live.map((rule) => rule.account_id))] });
  }
  if (live.length === 0) {
    if (matches.length > 0) return refuse('federation_revoked', matches[0], subjectDetail);
    const furthest = Math.max(...failures.map((entry) => RULE_FAILURE_RANK[entry.failure ?? ''] ?? 0));
    const worst = failures.filter((entry) => (RULE_FAILURE_RANK[entry.failure ?? ''] ?? 0) === furthest);
    return refuse(worst[0]?.failure ?? 'federation_no_match', only(worst.map((entry) => entry.rule)), subjectDetail);
  }

  const rule = live[0];
  const account = await findAccount(ctx.db, rule.account_id);
  if (!account) return refuse('federation_no_match', rule, subjectDetail);
  if (account.status !== 'active') return refuse('account_disabled', rule, subjectDetail);

  if (payload.jti !== undefined) {
    if (!isValidJti(payload.jti)) return refuse('assertion_invalid_jti', rule, subjectDetail);
    if (!(await consumeAssertionId(ctx.db, `issuer:${issuer}`, payload.jti, replayWindowEnd(payload), now))) return refuse('assertion_replayed', rule, subjectDetail);
  }
  return { account, federation: rule, subject };
}
