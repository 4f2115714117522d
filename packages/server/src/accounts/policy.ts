/**
 * The organisation's policy: guardrails that every account, credential and token request is
 * checked against. Stored as one JSON document; a field missing from the stored document
 * takes its default, so that adding a field later needs no migration.
 */

export type DormancyAction = 'flag' | 'disable';

export interface Policy {
  credentials: {
    /** Longest lifetime a new credential may have, in days; null for no maximum. */
    maxLifetimeDays: number | null;
    /** Whether every new credential must have an expiry. */
    expiryRequired: boolean;
    /** Most credentials (not revoked, not expired) one account may hold at once; null for no maximum. */
    maxLivePerAccount: number | null;
    /**
     * Time (epoch ms) from which the token endpoint rejects credentials that the current policy
     * would not allow if they were created now. It is null until an admin sets a date.
     */
    blockNoncompliantFrom: number | null;
  };
  accessTokens: {
    /** Lifetime of a token when its instance sets none, in seconds. */
    defaultLifetimeSeconds: number;
    /** Cap on every token lifetime, including instance settings, in seconds. */
    maxLifetimeSeconds: number;
  };
  scopes: {
    /** Instance id to the scopes accounts may be granted there; an instance left out allows every scope. */
    allowedByInstance: Record<string, string[]>;
    /** Opt-in for admin-level scopes (such as Jira's ADMIN); off by default. */
    adminScopesAllowed: boolean;
  };
  network: {
    /** CIDR blocks that may request tokens for accounts without their own allowlist; null allows any address. */
    defaultIpAllowlist: string[] | null;
  };
  dormancy: {
    /** An account unused this many days counts as dormant; null turns the rule off. */
    afterDays: number | null;
    /** The scheduled job's action on a dormant account: only mark it, or also disable it. */
    action: DormancyAction;
    /** How many days before the rule applies the account's contacts are warned. */
    warnDaysBefore: number;
  };
  notifications: {
    /** Days before a credential expires at which its account's contacts are notified, largest first. */
    expiryLeadDays: number[];
  };
}

export function defaultPolicy(accessTokenLifetimeSeconds = 3600): Policy {
  return {
    credentials: { maxLifetimeDays: null, expiryRequired: false, maxLivePerAccount: null, blockNoncompliantFrom: null },
    accessTokens: { defaultLifetimeSeconds: accessTokenLifetimeSeconds, maxLifetimeSeconds: 86_400 },
    scopes: { allowedByInstance: {}, adminScopesAllowed: false },
    network: { defaultIpAllowlist: null },
    dormancy: { afterDays: null, action: 'flag', warnDaysBefore: 7 },
    notifications: { expiryLeadDays: [30, 7, 1] },
  };
}

/** Fills the fields a stored document lacks with their defaults. */
export function withDefaults(stored: Partial<Record<keyof Policy, object>>, defaults: Policy): Policy {
  return {
    credentials: { ...defaults.credentials, ...stored.credentials },
    accessTokens: { ...defaults.accessTokens, ...stored.accessTokens },
    scopes: { ...defaults.scopes, ...stored.scopes },
    network: { ...defaults.network, ...stored.network },
    dormancy: { ...defaults.dormancy, ...stored.dormancy },
    notifications: { ...defaults.notifications, ...stored.notifications },
  };
}
