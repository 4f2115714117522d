import { DAY_MS } from '../clock.js';
import { RequestError } from './errors.js';
import type { Policy } from './policy.js';

/** Lifetime of a new credential when the request names none and the policy sets no lower maximum. */
export const DEFAULT_CREDENTIAL_DAYS = 365;

function policyViolation(policyField: string, message: string, field?: string): RequestError {
  return new RequestError('policy_violation', `${message} (policy ${policyField})`, field);
}

/**
 * Decides the lifetime in days of a new credential: the requested one if the policy allows
 * it, else a 400 that names the policy. No request value means the default, shortened to the
 * policy's maximum.
 */
export function credentialLifetimeDays(policy: Policy, requested: number | null | undefined, field: string): number | null {
  const { maxLifetimeDays, expiryRequired } = policy.credentials;

  if (requested === undefined) return maxLifetimeDays === null ? DEFAULT_CREDENTIAL_DAYS : Math.min(DEFAULT_CREDENTIAL_DAYS, maxLifetimeDays);
  if (requested === null && (expiryRequired || maxLifetimeDays !== null)) {
    const limit = maxLifetimeDays === null ? 'an expiry' : `an expiry of at most ${maxLifetimeDays} days`;
    throw policyViolation(expiryRequired ? 'credentials.expiryRequired' : 'credentials.maxLifetimeDays', `${field} is null (never expires), but the organisation's policy requires ${limit}; send a number of days.`, field);
  }
  if (requested !== null && maxLifetimeDays !== null && requested > maxLifetimeDays) {
    throw policyViolation('credentials.maxLifetimeDays', `${field} is ${requested}, but the organisation's policy allows credentials of at most ${maxLifetimeDays} days; send ${maxLifetimeDays} or fewer.`, field);
  }
  return requested;
}

/** Rejects a new credential that would give an account more live credentials than the policy allows. */
export function checkLiveCredentialCount(policy: Policy, liveCount: number): void {
  const max = policy.credentials.maxLivePerAccount;
  if (max === null || liveCount < max) return;
  throw policyViolation(
    'credentials.maxLivePerAccount',
    `The account already has ${liveCount} live credential(s) and the organisation's policy allows ${max}; revoke one, or rotate one instead of adding another.`,
  );
}

export type CredentialViolation = 'no_expiry' | 'lifetime_exceeds_maximum';

/** Lists how an existing credential breaks the current policy, as it would if it were created now. */
export function credentialViolations(policy: Policy, credential: { created_at: number; expires_at: number | null }): CredentialViolation[] {
  const { maxLifetimeDays, expiryRequired } = policy.credentials;
  const violations: CredentialViolation[] = [];

  if (credential.expires_at === null) {
    if (expiryRequired || maxLifetimeDays !== null) violations.push('no_expiry');
    return violations;
  }
  // A day of slack, because lifetimes are requested in whole days and stored in milliseconds.
  const lifetime = Number(credential.expires_at) - Number(credential.created_at);
  if (maxLifetimeDays !== null && lifetime > (maxLifetimeDays + 1) * DAY_MS) violations.push('lifetime_exceeds_maximum');
  return violations;
}

/** Tells whether the policy's date for blocking non-compliant credentials has come. */
export function blocksNoncompliant(policy: Policy, now: number): boolean {
  const from = policy.credentials.blockNoncompliantFrom;
  return from !== null && now >= from;
}

/** Decides an access token's lifetime: the instance's setting or the policy default, never above the policy maximum. */
export function accessTokenLifetimeSeconds(policy: Policy, instanceSetting: number | null): number {
  const requested = instanceSetting ?? policy.accessTokens.defaultLifetimeSeconds;
  return Math.min(requested, policy.accessTokens.maxLifetimeSeconds);
}

/** Rejects an instance's token lifetime setting that is longer than the policy's maximum. */
export function checkTokenLifetime(policy: Policy, seconds: number | null | undefined): void {
  const max = policy.accessTokens.maxLifetimeSeconds;
  if (seconds === null || seconds === undefined || seconds <= max) return;
  throw policyViolation('accessTokens.maxLifetimeSeconds', `accessTokenLifetimeSeconds is ${seconds}, but the organisation's policy allows tokens of at most ${max} seconds; send ${max} or less, or null for the policy default.`, 'accessTokenLifetimeSeconds');
}

/** Returns the scopes the policy allows on an instance, or undefined when it allows all. */
export function allowedScopesOn(policy: Policy, instanceId: string): Set<string> | undefined {
  const allowed = policy.scopes.allowedByInstance[instanceId];
  return allowed === undefined ? undefined : new Set(allowed);
}
