import type { AccessGrant, Instance, Profile, ResourceRestrictions } from '../api/types';
import { parseIdList } from '../validation';

/** Restriction of one resource type in a grant: no access, every resource (`"*"`), or the listed ids. */
export type RestrictionMode = 'none' | 'all' | 'list';

export interface RestrictionDraft {
  mode: RestrictionMode;
  /** The ids as typed, separated by commas or spaces. */
  ids: string;
}

/** One grant as the form edits it. */
export interface GrantDraft {
  /** Instance slug. */
  instance: string;
  scopes: string[];
  resources: Record<string, RestrictionDraft>;
}

export function emptyGrant(instance: Instance, profile: Profile | undefined): GrantDraft {
  const resources: Record<string, RestrictionDraft> = {};
  for (const type of profile?.resourceTypes ?? []) resources[type] = { mode: 'none', ids: '' };
  return { instance: instance.slug, scopes: [], resources };
}

/** Turns a stored grant into a draft. A missing type and an empty list both mean no access. */
export function grantToDraft(grant: AccessGrant, profile: Profile | undefined): GrantDraft {
  const resources: Record<string, RestrictionDraft> = {};
  const types = new Set([...(profile?.resourceTypes ?? []), ...Object.keys(grant.resources)]);
  for (const type of types) {
    const value = grant.resources[type];
    if (value === '*') resources[type] = { mode: 'all', ids: '' };
    else if (value && value.length > 0) resources[type] = { mode: 'list', ids: value.join(', ') };
    else resources[type] = { mode: 'none', ids: '' };
  }
  return { instance: grant.instance, scopes: [...grant.scopes], resources };
}

/** Builds the `access` entries of a request body, leaving out resource types without access. */
export function draftsToAccess(drafts: GrantDraft[]): { instance: string; scopes: string[]; resources: ResourceRestrictions }[] {
  return drafts.map((draft) => {
    const resources: ResourceRestrictions = {};
    for (const [type, restriction] of Object.entries(draft.resources)) {
      if (restriction.mode === 'all') resources[type] = '*';
      if (restriction.mode === 'list') resources[type] = parseIdList(restriction.ids);
    }
    return { instance: draft.instance, scopes: draft.scopes, resources };
  });
}

/**
 * Checks the drafts with the server's rules and returns messages keyed by the server's field
 * paths. Admin-level scopes pass only when the policy's opt-in is on.
 */
export function checkGrants(drafts: GrantDraft[], profiles: Map<string, Profile>, instances: Map<string, Instance>, adminScopesAllowed = false): Record<string, string | undefined> {
  const errors: Record<string, string | undefined> = {};
  drafts.forEach((draft, index) => {
    const profile = profiles.get(instances.get(draft.instance)?.profile ?? '');
    if (draft.scopes.length === 0) errors[`access[${index}].scopes`] = 'Choose at least one scope.';
    const adminScope = adminScopesAllowed ? undefined : draft.scopes.find((name) => profile?.scopes.find((scope) => scope.name === name)?.adminLevel);
    if (adminScope) errors[`access[${index}].scopes`] = `${adminScope} is an admin-level scope, which service accounts cannot hold unless the policy allows admin-level scopes.`;

    for (const [type, restriction] of Object.entries(draft.resources)) {
      if (restriction.mode !== 'list') continue;
      const ids = parseIdList(restriction.ids);
      if (ids.includes('*')) errors[`access[${index}].resources.${type}`] = `To allow every ${type}, choose "All" instead of typing "*".`;
      else if (ids.some((id) => id.length > 255)) errors[`access[${index}].resources.${type}`] = 'Each id can be at most 255 characters long.';
      else if (ids.length > 1000) errors[`access[${index}].resources.${type}`] = `List at most 1000 ids (now ${ids.length}), or choose "All".`;
    }
  });
  return errors;
}

/** Lists every form key that the access editor has an input for. */
export function grantFieldKeys(drafts: GrantDraft[]): string[] {
  return drafts.flatMap((draft, index) => [
    `access[${index}].instance`,
    `access[${index}].scopes`,
    ...Object.keys(draft.resources).map((type) => `access[${index}].resources.${type}`),
  ]);
}

/** Describes a restriction in words, for read-only views. */
export function describeRestriction(value: string[] | '*' | undefined): string {
  if (value === '*') return 'All';
  if (!value || value.length === 0) return 'No access';
  return value.join(', ');
}
