import { expandScopes, type Profile, type ResourceRestrictions, WILDCARD } from '@tessera/shared';
import { RequestError } from './errors.js';

/** One grant as an admin writes it: the instance's slug or id, scopes and resource restrictions. */
export interface AccessGrantInput {
  instance: string;
  scopes: string[];
  resources?: ResourceRestrictions;
}

export interface InstanceRef {
  id: string;
  slug: string;
  profile: Profile;
}

/** A grant checked against its instance's profile. */
export interface Grant {
  instanceId: string;
  instanceSlug: string;
  scopes: string[];
  resources: ResourceRestrictions;
}

const MAX_RESOURCE_IDS = 1000;

/** Limits that the organisation's policy puts on grants; see policy.ts. */
export interface ScopeRules {
  adminScopesAllowed: boolean;
  /** The scopes allowed on an instance, or undefined when the policy allows all of them. */
  allowedOn(instanceId: string): Set<string> | undefined;
}

const NO_SCOPE_RULES: ScopeRules = { adminScopesAllowed: false, allowedOn: () => undefined };

/**
 * Checks an account's grants against the profiles of their instances and returns them in a
 * stable form. Fails closed: a resource type left out of `resources` means no access to it.
 */
export function validateAccess(input: AccessGrantInput[], findInstance: (ref: string) => InstanceRef | undefined, rules: ScopeRules = NO_SCOPE_RULES): Grant[] {
  const seen = new Set<string>();

  return input.map((grant, index) => {
    const field = `access[${index}]`;
    const instance = findInstance(grant.instance);
    if (!instance) {
      throw new RequestError('unknown_instance', `${field}.instance "${grant.instance}" is not a known instance slug or id; create the instance first or fix the name.`, `${field}.instance`);
    }
    if (seen.has(instance.id)) {
      throw new RequestError('duplicate_grant', `${field}.instance "${grant.instance}" appears twice; merge its scopes and resources into one entry.`, `${field}.instance`);
    }
    seen.add(instance.id);

    return {
      instanceId: instance.id,
      instanceSlug: instance.slug,
      scopes: validateScopes(grant.scopes, instance, field, rules),
      resources: validateResources(grant.resources ?? {}, instance, field),
    };
  });
}

function validateScopes(scopes: string[], instance: InstanceRef, field: string, rules: ScopeRules): string[] {
  if (scopes.length === 0) {
    throw new RequestError('validation_failed', `${field}.scopes is empty; list at least one scope of the ${instance.profile.name} profile.`, `${field}.scopes`);
  }

  const byName = new Map(instance.profile.scopes.map((scope) => [scope.name, scope]));
  scopes.forEach((name, index) => {
    const scope = byName.get(name);
    if (!scope) {
      const known = instance.profile.scopes.map((s) => s.name).join(', ');
      throw new RequestError('unknown_scope', `${field}.scopes[${index}] "${name}" is not a scope of the ${instance.profile.name} profile; use one of: ${known}.`, `${field}.scopes[${index}]`);
    }
    if (scope.adminLevel && !rules.adminScopesAllowed) {
      throw new RequestError(
        'admin_scope_not_allowed',
        `${field}.scopes[${index}] "${name}" is an admin-level scope, which service accounts cannot hold unless the organisation's policy allows it (policy scopes.adminScopesAllowed); grant WRITE or narrower.`,
        `${field}.scopes[${index}]`,
      );
    }
    const allowed = rules.allowedOn(instance.id);
    if (allowed && !allowed.has(name)) {
      throw new RequestError(
        'policy_violation',
        `${field}.scopes[${index}] "${name}" is not among the scopes the organisation's policy allows on instance "${instance.slug}" (${[...allowed].join(', ') || 'none'}); choose one of those (policy scopes.allowedByInstance).`,
        `${field}.scopes[${index}]`,
      );
    }
  });

  return [...new Set(scopes)].sort();
}

function validateResources(resources: ResourceRestrictions, instance: InstanceRef, field: string): ResourceRestrictions {
  const result: ResourceRestrictions = {};

  for (const [type, ids] of Object.entries(resources)) {
    const typeField = `${field}.resources.${type}`;
    if (!instance.profile.resourceTypes.includes(type)) {
      const known = instance.profile.resourceTypes.join(', ') || 'none';
      throw new RequestError('unknown_resource_type', `${typeField}: "${type}" is not a resource type of the ${instance.profile.name} profile; use one of: ${known}.`, typeField);
    }
    if (ids === WILDCARD) {
      result[type] = WILDCARD;
      continue;
    }
    if (ids.length > MAX_RESOURCE_IDS) {
      throw new RequestError('validation_failed', `${typeField} lists ${ids.length} ids; the maximum is ${MAX_RESOURCE_IDS}, so use "*" or split the account.`, typeField);
    }
    if (ids.includes(WILDCARD)) {
      throw new RequestError('validation_failed', `${typeField} contains "*" inside a list; write "*" on its own (not in a list) to allow every ${type}.`, typeField);
    }
    // An empty list grants nothing, exactly like leaving the type out, so store it that way.
    if (ids.length > 0) result[type] = [...new Set(ids)].sort();
  }

  return result;
}

/** Expanded scope sets of frozen scope lists, per profile. A frozen list cannot change under its entry. */
const expandedScopeSets = new WeakMap<readonly string[], WeakMap<Profile, ReadonlySet<string>>>();

/**
 * Returns the scopes that `granted` grants on `profile`, directly or by implication. For a
 * frozen list, such as a cached grant's, the set is computed once and shared, so callers
 * must not change it.
 */
export function grantedScopeSet(profile: Profile, granted: readonly string[]): ReadonlySet<string> {
  if (!Object.isFrozen(granted)) return expandScopes(profile, granted);

  let byProfile = expandedScopeSets.get(granted);
  if (byProfile === undefined) {
    byProfile = new WeakMap();
    expandedScopeSets.set(granted, byProfile);
  }
  let expanded = byProfile.get(profile);
  if (expanded === undefined) {
    expanded = expandScopes(profile, granted);
    byProfile.set(profile, expanded);
  }
  return expanded;
}

/**
 * Decides whether a token's scopes and restrictions still fit inside the current grant, so
 * that narrowing a grant makes tokens issued before it inactive while widening keeps them.
 */
export function tokenFitsGrant(profile: Profile, grant: Grant, tokenScopes: string[], tokenResources: ResourceRestrictions): boolean {
  const allowedScopes = grantedScopeSet(profile, grant.scopes);
  if (!tokenScopes.every((scope) => allowedScopes.has(scope))) return false;

  return Object.entries(tokenResources).every(([type, ids]) => {
    const current = grant.resources[type];
    if (current === undefined) return false;
    if (current === WILDCARD) return true;
    if (ids === WILDCARD) return false;
    return ids.every((id) => current.includes(id));
  });
}

/**
 * Decides whether replacing `before` with `after` takes away any access: a grant removed, a
 * scope no longer granted or implied, or a resource no longer allowed. Widening is not narrowing.
 */
export function isNarrowing(profileOf: (instanceId: string) => Profile | undefined, before: Grant[], after: Grant[]): boolean {
  return before.some((old) => {
    const replacement = after.find((grant) => grant.instanceId === old.instanceId);
    const profile = profileOf(old.instanceId);
    if (!replacement || !profile) return true;

    const oldScopes = expandScopes(profile, old.scopes);
    const newScopes = expandScopes(profile, replacement.scopes);
    if ([...oldScopes].some((scope) => !newScopes.has(scope))) return true;

    return !tokenFitsGrant(profile, replacement, [], old.resources);
  });
}
