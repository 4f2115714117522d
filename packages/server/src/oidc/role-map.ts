import { SLUG_PATTERN } from '../admin-api/schemas.js';
import type { AdminRole } from '../storage/tables.js';

/** The role that members of one identity-provider group receive. */
export type RoleRule = { role: 'admin' } | { role: 'auditor' } | { role: 'instance-admin'; instances: string[] };

/** Group name, as the identity provider sends it in the groups claim, to the role it grants. */
export type RoleMap = Map<string, RoleRule>;

/** The role an admin gets from its groups, and the groups that granted it. */
export interface MappedRole {
  role: AdminRole;
  /** Slugs of the instances an instance-admin manages; empty for other roles. */
  instanceSlugs: string[];
  matchedGroups: string[];
}

const SLUG = new RegExp(SLUG_PATTERN);

/** A mistake in TESSERA_OIDC_ROLE_MAP; the message names the group and the fix. */
export class RoleMapError extends Error {
  override name = 'RoleMapError';
}

function parseRule(group: string, value: unknown): RoleRule {
  if (value === 'admin' || value === 'auditor') return { role: value };
  if (value === 'instance-admin') {
    throw new RoleMapError(`group "${group}" maps to instance-admin without instances; write {"role": "instance-admin", "instances": ["<instance slug>"]}.`);
  }

  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RoleMapError(`group "${group}" must map to "admin", "auditor" or {"role": "instance-admin", "instances": [...]}; got ${JSON.stringify(value)}.`);
  }
  const { role, instances, ...unknown } = value as Record<string, unknown>;
  const extra = Object.keys(unknown);
  if (extra.length > 0) throw new RoleMapError(`group "${group}" has the unknown field "${extra[0]}"; only "role" and "instances" are allowed.`);

  if (role === 'admin' || role === 'auditor') {
    if (instances !== undefined) throw new RoleMapError(`group "${group}": instances applies only to the instance-admin role; remove it for the ${role} role.`);
    return { role };
  }
  if (role !== 'instance-admin') throw new RoleMapError(`group "${group}" has role ${JSON.stringify(role)}; use "admin", "instance-admin" or "auditor".`);

  if (!Array.isArray(instances) || instances.length === 0) {
    throw new RoleMapError(`group "${group}" maps to instance-admin, so "instances" must be a non-empty list of instance slugs.`);
  }
  const bad = instances.find((slug) => typeof slug !== 'string' || !SLUG.test(slug));
  if (bad !== undefined) throw new RoleMapError(`group "${group}" lists ${JSON.stringify(bad)}, which is not an instance slug (lower-case letters, digits and hyphens).`);
  return { role, instances: [...new Set(instances as string[])] };
}

/** Parses the JSON object that maps group names to roles. */
export function parseRoleMap(json: string): RoleMap {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new RoleMapError(`is not valid JSON (${(error as Error).message}).`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RoleMapError('must be a JSON object from group name to role, such as {"tessera-admins": "admin"}.');
  }

  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) throw new RoleMapError('maps no group, so nobody could sign in; map at least one group to a role.');
  return new Map(
    entries.map(([group, value]) => {
      if (group.trim() === '') throw new RoleMapError('has an empty group name; use the group names as the identity provider sends them.');
      return [group, parseRule(group, value)];
    }),
  );
}

/**
 * Picks the strongest role among the mapped groups: admin over instance-admin over auditor.
 * Instance-admin groups add up, so that membership in two gives the instances of both.
 * Returns undefined when no group is mapped.
 */
export function mapGroupsToRole(roleMap: RoleMap, groups: string[]): MappedRole | undefined {
  const matched = [...new Set(groups)].filter((group) => roleMap.has(group)).sort();
  if (matched.length === 0) return undefined;

  const rules = matched.map((group) => ({ group, rule: roleMap.get(group)! }));
  for (const role of ['admin', 'instance-admin', 'auditor'] as const) {
    const granting = rules.filter(({ rule }) => rule.role === role);
    if (granting.length === 0) continue;

    const instanceSlugs = granting.flatMap(({ rule }) => (rule.role === 'instance-admin' ? rule.instances : []));
    return { role, instanceSlugs: [...new Set(instanceSlugs)].sort(), matchedGroups: granting.map(({ group }) => group) };
  }
  return undefined;
}
