import type { Policy } from '../api/types';
import { checkInteger, checkOptionalInteger, parseLines } from '../validation';

/**
 * The policy as the form edits it: numbers as typed text, where an empty text means "no
 * maximum" or "off", lists as text, and the blocking date as a YYYY-MM-DD day in UTC.
 */
export interface PolicyDraft {
  maxLifetimeDays: string;
  expiryRequired: boolean;
  maxLivePerAccount: string;
  blockNoncompliantFrom: string;
  /** The stored blocking time, sent back unchanged while its day is not edited, because the API may have set a time of day. */
  storedBlockNoncompliantFrom: string | null;
  defaultLifetimeSeconds: string;
  maxLifetimeSeconds: string;
  adminScopesAllowed: boolean;
  /** Instance slug to its allowed scopes; an instance left out allows every scope. */
  allowedByInstance: Record<string, string[]>;
  /** One CIDR block per line. Empty allows any address. */
  defaultIpAllowlist: string;
  dormancyAfterDays: string;
  dormancyAction: 'flag' | 'disable';
  warnDaysBefore: string;
  /** Days separated by commas or spaces, such as "30, 7, 1". */
  expiryLeadDays: string;
}

export const MAX_LEAD_DAYS = 10;

const text = (value: number | null) => (value === null ? '' : String(value));
const numberOrNull = (value: string) => (value.trim() === '' ? null : Number(value));

export function draftOf(policy: Policy): PolicyDraft {
  return {
    maxLifetimeDays: text(policy.credentials.maxLifetimeDays),
    expiryRequired: policy.credentials.expiryRequired,
    maxLivePerAccount: text(policy.credentials.maxLivePerAccount),
    blockNoncompliantFrom: policy.credentials.blockNoncompliantFrom?.slice(0, 10) ?? '',
    storedBlockNoncompliantFrom: policy.credentials.blockNoncompliantFrom,
    defaultLifetimeSeconds: String(policy.accessTokens.defaultLifetimeSeconds),
    maxLifetimeSeconds: String(policy.accessTokens.maxLifetimeSeconds),
    adminScopesAllowed: policy.scopes.adminScopesAllowed,
    allowedByInstance: policy.scopes.allowedByInstance,
    defaultIpAllowlist: (policy.network.defaultIpAllowlist ?? []).join('\n'),
    dormancyAfterDays: text(policy.dormancy.afterDays),
    dormancyAction: policy.dormancy.action,
    warnDaysBefore: String(policy.dormancy.warnDaysBefore),
    expiryLeadDays: policy.notifications.expiryLeadDays.join(', '),
  };
}

function parseLeadDays(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

/**
 * Builds the PUT body. It always carries every section, because the server gives a section
 * left out its default rather than keeping the stored value.
 */
export function policyBody(draft: PolicyDraft): Policy {
  const allowlist = parseLines(draft.defaultIpAllowlist);
  const stored = draft.storedBlockNoncompliantFrom;
  let blockNoncompliantFrom: string | null = null;
  if (draft.blockNoncompliantFrom) blockNoncompliantFrom = stored?.slice(0, 10) === draft.blockNoncompliantFrom ? stored : `${draft.blockNoncompliantFrom}T00:00:00Z`;

  return {
    credentials: {
      maxLifetimeDays: numberOrNull(draft.maxLifetimeDays),
      expiryRequired: draft.expiryRequired,
      maxLivePerAccount: numberOrNull(draft.maxLivePerAccount),
      blockNoncompliantFrom,
    },
    accessTokens: { defaultLifetimeSeconds: Number(draft.defaultLifetimeSeconds), maxLifetimeSeconds: Number(draft.maxLifetimeSeconds) },
    scopes: { allowedByInstance: draft.allowedByInstance, adminScopesAllowed: draft.adminScopesAllowed },
    network: { defaultIpAllowlist: allowlist.length > 0 ? allowlist : null },
    dormancy: { afterDays: numberOrNull(draft.dormancyAfterDays), action: draft.dormancyAction, warnDaysBefore: Number(draft.warnDaysBefore) },
    notifications: { expiryLeadDays: parseLeadDays(draft.expiryLeadDays).map(Number) },
  };
}

function checkLeadDays(value: string): string | undefined {
  const days = parseLeadDays(value);
  if (days.length > MAX_LEAD_DAYS) return `List at most ${MAX_LEAD_DAYS} days (now ${days.length}).`;
  const invalid = days.find((day) => checkInteger(day, 1, 365, 'days'));
  return invalid === undefined ? undefined : `"${invalid}" is not a whole number of days from 1 to 365; separate the days with commas, such as 30, 7, 1.`;
}

/**
 * Checks the rules a single field shows. Rules that compare two fields (the default token
 * lifetime against the maximum, the dormancy warning against its period) and the CIDR syntax
 * are left to the server, whose problem names the field.
 */
export function checkPolicyDraft(draft: PolicyDraft): Record<string, string | undefined> {
  return {
    'credentials.maxLifetimeDays': checkOptionalInteger(draft.maxLifetimeDays, 1, 3650, 'days'),
    'credentials.maxLivePerAccount': checkOptionalInteger(draft.maxLivePerAccount, 1, 100, 'credentials'),
    'accessTokens.defaultLifetimeSeconds': checkInteger(draft.defaultLifetimeSeconds, 60, 86_400, 'seconds'),
    'accessTokens.maxLifetimeSeconds': checkInteger(draft.maxLifetimeSeconds, 60, 86_400, 'seconds'),
    'network.defaultIpAllowlist': parseLines(draft.defaultIpAllowlist).length > 200 ? 'List at most 200 blocks; merge them into wider blocks.' : undefined,
    'dormancy.afterDays': checkOptionalInteger(draft.dormancyAfterDays, 1, 3650, 'days'),
    'dormancy.warnDaysBefore': checkInteger(draft.warnDaysBefore, 0, 365, 'days'),
    'notifications.expiryLeadDays': checkLeadDays(draft.expiryLeadDays),
  };
}

/** Form keys of the fixed fields, which a server problem's `field` is matched against. */
export const POLICY_FIELD_KEYS = [
  'credentials.maxLifetimeDays',
  'credentials.expiryRequired',
  'credentials.maxLivePerAccount',
  'credentials.blockNoncompliantFrom',
  'accessTokens.defaultLifetimeSeconds',
  'accessTokens.maxLifetimeSeconds',
  'scopes.adminScopesAllowed',
  'network.defaultIpAllowlist',
  'dormancy.afterDays',
  'dormancy.action',
  'dormancy.warnDaysBefore',
  'notifications.expiryLeadDays',
];

export function allowedScopesKey(slug: string): string {
  return `scopes.allowedByInstance.${slug}`;
}
