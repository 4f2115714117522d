import { readFileSync } from 'node:fs';

/**
 * The tracker's own permission model, the second layer after Tessera's scopes and project
 * restrictions: per project, a service account is a `viewer` (reads) or a `developer`
 * (reads and writes). An account without a role on a project does not see it at all.
 */
export const ROLES = ['viewer', 'developer'] as const;
export type Role = (typeof ROLES)[number];

/** Key of a role entry that applies to every service account whose token allows the project. */
export const ANY_ACCOUNT = '*';

/** The subject a role is looked up for: the ids of the account behind a token. */
export interface RoleSubject {
  accountId: string;
  clientId: string;
}

/**
 * Roles per project key, keyed by a Tessera account id, a client id or `*`. The most
 * specific entry wins: account id, then client id, then `*`.
 */
export class RoleStore {
  private readonly byProject = new Map<string, Map<string, Role>>();

  assign(projectKey: string, subject: string, role: Role): void {
    const key = projectKey.toUpperCase();
    let members = this.byProject.get(key);
    if (!members) {
      members = new Map();
      this.byProject.set(key, members);
    }
    members.set(subject, role);
  }

  unassign(projectKey: string, subject: string): void {
    this.byProject.get(projectKey.toUpperCase())?.delete(subject);
  }

  roleOf(projectKey: string, subject: RoleSubject): Role | undefined {
    const members = this.byProject.get(projectKey.toUpperCase());
    if (!members) return undefined;
    return members.get(subject.accountId) ?? members.get(subject.clientId) ?? members.get(ANY_ACCOUNT);
  }

  /** Returns the roles as a JSON-ready object, in the format that `loadRoles` reads. */
  toJSON(): { projects: Record<string, Record<string, Role>> } {
    const projects: Record<string, Record<string, Role>> = {};
    for (const [project, members] of this.byProject) projects[project] = Object.fromEntries(members);
    return { projects };
  }
}

function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * Reads roles from JSON of the form `{"projects": {"ABC": {"<account or client id>": "developer", "*": "viewer"}}}`.
 * Throws an Error that names the invalid entry.
 */
export function parseRoles(json: unknown, source = 'roles'): RoleStore {
  const store = new RoleStore();
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${source} must be a JSON object with a "projects" object`);

  const unknownKeys = Object.keys(json).filter((key) => key !== 'projects');
  if (unknownKeys.length > 0) throw new Error(`${source} has unknown keys: ${unknownKeys.join(', ')}; only "projects" is allowed`);

  const projects = (json as { projects?: unknown }).projects;
  if (typeof projects !== 'object' || projects === null || Array.isArray(projects)) throw new Error(`${source}.projects must be an object of project keys`);

  for (const [projectKey, members] of Object.entries(projects)) {
    if (typeof members !== 'object' || members === null || Array.isArray(members)) {
      throw new Error(`${source}.projects.${projectKey} must map account ids, client ids or "*" to a role`);
    }
    for (const [subject, role] of Object.entries(members)) {
      if (!isRole(role)) throw new Error(`${source}.projects.${projectKey}["${subject}"] is ${JSON.stringify(role)}; use one of: ${ROLES.join(', ')}`);
      store.assign(projectKey, subject, role);
    }
  }
  return store;
}

export function loadRoles(path: string): RoleStore {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`reading the roles file ${path} failed: ${(error as Error).message}`);
  }
  return parseRoles(json, path);
}
