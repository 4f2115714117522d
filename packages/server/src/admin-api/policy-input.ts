import { Type } from '@sinclair/typebox';
import { findProfile } from '@tessera/shared';
import { RequestError } from '../accounts/errors.js';
import { parseAllowlist } from '../accounts/ip-allowlist.js';
import type { Policy } from '../accounts/policy.js';
import type { InstanceRow } from '../storage/tables.js';
import { StringEnum } from './schemas.js';

const Days = Type.Integer({ minimum: 1, maximum: 3650 });
const Seconds = Type.Integer({ minimum: 60, maximum: 86_400 });
const Nullable = <T extends ReturnType<typeof Type.Integer>>(schema: T) => Type.Union([schema, Type.Null()]);

/** Body of PUT /api/v1/policy. A section or field left out takes its default. */
export const PolicyBody = Type.Object(
  {
    credentials: Type.Optional(
      Type.Object(
        {
          maxLifetimeDays: Type.Optional(Nullable(Days)),
          expiryRequired: Type.Optional(Type.Boolean()),
          maxLivePerAccount: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 100 }))),
          blockNoncompliantFrom: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 40 }), Type.Null()])),
        },
        { additionalProperties: false },
      ),
    ),
    accessTokens: Type.Optional(
      Type.Object({ defaultLifetimeSeconds: Type.Optional(Seconds), maxLifetimeSeconds: Type.Optional(Seconds) }, { additionalProperties: false }),
    ),
    scopes: Type.Optional(
      Type.Object(
        {
          allowedByInstance: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100 }))),
          adminScopesAllowed: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    network: Type.Optional(
      Type.Object({ defaultIpAllowlist: Type.Optional(Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 200 }), Type.Null()])) }, { additionalProperties: false }),
    ),
    dormancy: Type.Optional(
      Type.Object(
        {
          afterDays: Type.Optional(Nullable(Days)),
          action: Type.Optional(StringEnum(['flag', 'disable'] as const)),
          warnDaysBefore: Type.Optional(Type.Integer({ minimum: 0, maximum: 365 })),
        },
        { additionalProperties: false },
      ),
    ),
    notifications: Type.Optional(
      Type.Object({ expiryLeadDays: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 365 }), { maxItems: 10 })) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

export interface PolicyInput {
  credentials?: Partial<Omit<Policy['credentials'], 'blockNoncompliantFrom'>> & { blockNoncompliantFrom?: string | null };
  accessTokens?: Partial<Policy['accessTokens']>;
  scopes?: Partial<Policy['scopes']>;
  network?: Partial<Policy['network']>;
  dormancy?: Partial<Policy['dormancy']>;
  notifications?: Partial<Policy['notifications']>;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

function parseTime(text: string, field: string): number {
  const ms = Date.parse(text);
  if (!RFC3339.test(text) || Number.isNaN(ms)) {
    throw new RequestError('validation_failed', `${field} "${text}" is not an RFC 3339 time; write it like 2027-01-31T00:00:00Z.`, field);
  }
  return ms;
}

/** Maps allowed-scope lists keyed by instance slug or id to lists keyed by id, checking each scope against the instance's profile. */
function resolveAllowedScopes(input: Record<string, string[]>, instances: Map<string, InstanceRow>, adminScopesAllowed: boolean): Record<string, string[]> {
  const bySlugOrId = new Map<string, InstanceRow>();
  for (const row of instances.values()) {
    bySlugOrId.set(row.id, row);
    bySlugOrId.set(row.slug, row);
  }

  const result: Record<string, string[]> = {};
  for (const [ref, scopes] of Object.entries(input)) {
    const field = `scopes.allowedByInstance.${ref}`;
    const instance = bySlugOrId.get(ref);
    if (!instance) throw new RequestError('unknown_instance', `${field}: "${ref}" is not a known instance slug or id; create the instance first or fix the name.`, field);
    if (result[instance.id]) throw new RequestError('duplicate_grant', `${field}: instance "${instance.slug}" appears twice (by slug and by id); merge the two lists.`, field);

    const profile = findProfile(instance.profile);
    const known = new Map((profile?.scopes ?? []).map((scope) => [scope.name, scope]));
    scopes.forEach((name, index) => {
      const scope = known.get(name);
      if (!scope) {
        throw new RequestError('unknown_scope', `${field}[${index}] "${name}" is not a scope of the ${instance.profile} profile; use one of: ${[...known.keys()].join(', ')}.`, `${field}[${index}]`);
      }
      if (scope.adminLevel && !adminScopesAllowed) {
        throw new RequestError('admin_scope_not_allowed', `${field}[${index}] "${name}" is an admin-level scope; set scopes.adminScopesAllowed to true as well, or leave it out.`, `${field}[${index}]`);
      }
    });
    result[instance.id] = [...new Set(scopes)].sort();
  }
  return result;
}

/** Fills in token lifetimes; a maximum below the default lowers the default too, unless the request sets both. */
function accessTokensOf(input: Partial<Policy['accessTokens']>, defaults: Policy['accessTokens']): Policy['accessTokens'] {
  const maxLifetimeSeconds = input.maxLifetimeSeconds ?? defaults.maxLifetimeSeconds;
  const defaultLifetimeSeconds = input.defaultLifetimeSeconds ?? Math.min(defaults.defaultLifetimeSeconds, maxLifetimeSeconds);
  return { defaultLifetimeSeconds, maxLifetimeSeconds };
}

/** Checks a policy document from a request and returns the full policy, defaults filled in. */
export function parsePolicyInput(input: PolicyInput, defaults: Policy, instances: Map<string, InstanceRow>): Policy {
  const { blockNoncompliantFrom, ...credentials } = input.credentials ?? {};
  const scopes = { ...defaults.scopes, ...input.scopes };
  const policy: Policy = {
    credentials: {
      ...defaults.credentials,
      ...credentials,
      blockNoncompliantFrom: blockNoncompliantFrom ? parseTime(blockNoncompliantFrom, 'credentials.blockNoncompliantFrom') : null,
    },
    accessTokens: accessTokensOf(input.accessTokens ?? {}, defaults.accessTokens),
    scopes: { ...scopes, allowedByInstance: resolveAllowedScopes(scopes.allowedByInstance, instances, scopes.adminScopesAllowed) },
    network: { defaultIpAllowlist: input.network?.defaultIpAllowlist ? parseAllowlist(input.network.defaultIpAllowlist, 'network.defaultIpAllowlist') : null },
    dormancy: { ...defaults.dormancy, ...input.dormancy },
    notifications: { expiryLeadDays: [...new Set(input.notifications?.expiryLeadDays ?? defaults.notifications.expiryLeadDays)].sort((a, b) => b - a) },
  };

  if (policy.accessTokens.defaultLifetimeSeconds > policy.accessTokens.maxLifetimeSeconds) {
    throw new RequestError(
      'validation_failed',
      `accessTokens.defaultLifetimeSeconds (${policy.accessTokens.defaultLifetimeSeconds}) is longer than accessTokens.maxLifetimeSeconds (${policy.accessTokens.maxLifetimeSeconds}); lower the default or raise the maximum.`,
      'accessTokens.defaultLifetimeSeconds',
    );
  }
  if (policy.dormancy.afterDays !== null && policy.dormancy.warnDaysBefore >= policy.dormancy.afterDays) {
    throw new RequestError('validation_failed', `dormancy.warnDaysBefore (${policy.dormancy.warnDaysBefore}) must be less than dormancy.afterDays (${policy.dormancy.afterDays}).`, 'dormancy.warnDaysBefore');
  }
  return policy;
}
