import { type Profile, type ResourceRestrictions, WILDCARD, findProfile } from '@tessera/shared';
import type { AccessGrantInput } from '../accounts/access.js';
import { RequestError } from '../accounts/errors.js';
import type { Policy } from '../accounts/policy.js';
import { resolveAccess } from '../admin-api/account-store.js';
import type { InstanceRow } from '../storage/tables.js';
import { PERMISSIONS, type Permission, type SourceAccess, type SourceAccount } from './source-accounts.js';

/**
 * The scope that covers each permission level, per profile: the lowest coarse scope a human
 * with that permission needs. A missing entry means the profile has no scope for that level.
 */
export const PERMISSION_SCOPES: Record<string, Partial<Record<Permission, string>>> = {
  jira: { read: 'READ', write: 'WRITE', admin: 'ADMIN' },
  confluence: { read: 'READ', write: 'WRITE', admin: 'ADMIN' },
  bitbucket: { read: 'REPO_READ', write: 'REPO_WRITE', admin: 'REPO_ADMIN' },
  bamboo: { read: 'READ', write: 'WRITE' },
  generic: { read: 'READ', write: 'WRITE' },
};

export interface ProposedAccount {
  name: string;
  description: string;
  owner: string;
  purpose: string;
  access: AccessGrantInput[];
}

/** Something the admin should know before accepting: access left out, or a grant the policy rejects. */
export interface ProposalProblem {
  code: string;
  instance?: string;
  message: string;
}

export interface ProposalContext {
  instances: Map<string, InstanceRow>;
  policy: Policy;
  /** Lowercased names of existing service accounts and of proposals made so far in this import. */
  takenNames: Set<string>;
  /** Service accounts already created from a human account, by its email. */
  migratedEmails: Map<string, string>;
  owners: Record<string, string>;
}

const MAX_NAME = 100;

/** Derives `svc-<name>` in lowercase letters, digits, dots, underscores and hyphens. */
function serviceAccountName(source: string, taken: Set<string>): { name: string; base: string } {
  const base = `svc-${source.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '') || 'account'}`.slice(0, MAX_NAME - 4);
  let name = base;
  for (let counter = 2; taken.has(name.toLowerCase()); counter++) name = `${base}-${counter}`;
  return { name, base };
}

function ownerOf(source: SourceAccount, owners: Record<string, string>): string {
  const group = source.groups.find((candidate) => Object.hasOwn(owners, candidate));
  const mapped = [source.name, source.email].find((key) => Object.hasOwn(owners, key)) ?? group;
  return source.owner ?? (mapped === undefined ? source.email : owners[mapped]);
}

function highest(permissions: Permission[]): Permission {
  return permissions.reduce((top, next) => (PERMISSIONS.indexOf(next) > PERMISSIONS.indexOf(top) ? next : top), 'read');
}

/** Picks the scope for a permission, or the widest scope below it when the profile has none for it. */
function scopeFor(profile: Profile, permission: Permission, slug: string, problems: ProposalProblem[]): string | undefined {
  const table = PERMISSION_SCOPES[profile.name] ?? {};
  if (table[permission]) return table[permission];

  const fallback = PERMISSIONS.slice(0, PERMISSIONS.indexOf(permission)).reverse().find((level) => table[level]);
  const scope = fallback === undefined ? undefined : table[fallback];
  problems.push({
    code: 'no_matching_scope',
    instance: slug,
    message: scope
      ? `The ${profile.name} profile has no scope for the permission "${permission}"; the proposal grants ${scope}, the widest it has. Give the account more rights inside the product if it needs them.`
      : `The ${profile.name} profile has no scope for the permission "${permission}"; the grant on "${slug}" is left out.`,
  });
  return scope;
}

/** Turns what a human could reach on one instance into the narrowest grant that still covers it. */
function proposeGrant(entry: SourceAccess, context: ProposalContext, problems: ProposalProblem[]): AccessGrantInput | undefined {
  const instance = [...context.instances.values()].find((row) => row.slug === entry.instance || row.id === entry.instance);
  if (!instance) {
    problems.push({ code: 'unknown_instance', instance: entry.instance, message: `Instance "${entry.instance}" does not exist in Tessera, so its access is left out; create the instance and import again, or accept without it.` });
    return undefined;
  }
  const profile = findProfile(instance.profile);
  if (!profile) {
    problems.push({ code: 'unknown_profile', instance: instance.slug, message: `Instance "${instance.slug}" uses the profile "${instance.profile}", which this server does not know, so its access is left out.` });
    return undefined;
  }

  const resources: ResourceRestrictions = {};
  const used: Permission[] = [];
  for (const [type, ids] of Object.entries(entry.resources)) {
    if (!profile.resourceTypes.includes(type)) {
      problems.push({ code: 'unknown_resource_type', instance: instance.slug, message: `The ${profile.name} profile has no resource type "${type}", so the ${type} ids on "${instance.slug}" are left out.` });
      continue;
    }
    const list = Object.keys(ids).sort();
    // Only an explicit "*" in the export becomes the wildcard; listed ids stay a list.
    resources[type] = list.includes(WILDCARD) ? WILDCARD : list;
    used.push(...Object.values(ids));
  }
  if (used.length === 0) return undefined;

  // NOTE: a grant has one scope set for all its resources, so a human who writes to one project
  // and only reads another gets WRITE on both; narrowing that needs two accounts.
  const scope = scopeFor(profile, highest(used), instance.slug, problems);
  return scope === undefined ? undefined : { instance: instance.slug, scopes: [scope], resources };
}

/** Checks each grant as account creation will, so that a policy breach shows before acceptance. */
function policyProblems(access: AccessGrantInput[], context: ProposalContext): ProposalProblem[] {
  return access.flatMap((grant, index) => {
    try {
      resolveAccess([grant], context.instances, context.policy);
      return [];
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      return [{ code: error.code, instance: grant.instance, message: error.message.replaceAll('access[0]', `access[${index}]`) }];
    }
  });
}

/** Proposes one service account for a human account, with the problems found on the way. */
export function proposeAccount(source: SourceAccount, context: ProposalContext): { proposal: ProposedAccount; problems: ProposalProblem[] } {
  const problems: ProposalProblem[] = [];
  const access = source.access.flatMap((entry) => proposeGrant(entry, context, problems) ?? []);
  problems.push(...policyProblems(access, context));

  const { name, base } = serviceAccountName(source.name, context.takenNames);
  if (name !== base) problems.push({ code: 'name_taken', message: `The name "${base}" is taken, so the proposal is named "${name}"; rename it on acceptance if you prefer.` });
  context.takenNames.add(name.toLowerCase());

  const migrated = context.migratedEmails.get(source.email.toLowerCase());
  if (migrated) problems.push({ code: 'already_migrated', message: `A proposal for ${source.email} was accepted before, creating the service account ${migrated}; reject this one unless a second account is wanted.` });

  const groups = source.groups.length > 0 ? ` Groups: ${source.groups.join(', ')}.` : '';
  return {
    proposal: {
      name,
      description: `Migrated from the human account "${source.name}" (${source.email}).${groups}`.slice(0, 2000),
      owner: ownerOf(source, context.owners).slice(0, 200),
      purpose: `Migrated from human account ${source.name}`,
      access,
    },
    problems,
  };
}
