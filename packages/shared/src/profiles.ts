/**
 * Product profiles: the scope catalogue and resource types of each product that accepts
 * Tessera tokens. The server validates grants against them and guard uses them to decide
 * whether a granted scope covers the scope an endpoint requires.
 */

export interface ScopeDefinition {
  name: string;
  description: string;
  /** Scopes that this scope grants as well, listed one level down. */
  implies: string[];
  /** Admin-level scopes are only grantable once an organisation policy opts in. */
  adminLevel?: boolean;
}

export interface Profile {
  name: string;
  title: string;
  scopes: ScopeDefinition[];
  resourceTypes: string[];
  /** Reserved for an instance that Tessera creates itself; admins cannot create an instance with it. */
  reserved?: boolean;
}

export const WILDCARD = '*';

const jira: Profile = {
  name: 'jira',
  title: 'Jira',
  scopes: [
    { name: 'READ', description: 'View projects, issues, comments and attachments.', implies: ['read:issue', 'read:project', 'read:comment'] },
    { name: 'WRITE', description: 'Create and edit issues, comments and attachments.', implies: ['READ', 'write:issue', 'write:comment'] },
    { name: 'ADMIN', description: 'Administer projects and the instance.', implies: ['WRITE', 'manage:project'], adminLevel: true },
    { name: 'read:issue', description: 'View issues.', implies: [] },
    { name: 'read:project', description: 'View projects.', implies: [] },
    { name: 'read:comment', description: 'View comments.', implies: [] },
    { name: 'write:issue', description: 'Create and edit issues.', implies: ['read:issue'] },
    { name: 'write:comment', description: 'Add and edit comments.', implies: ['read:comment'] },
    { name: 'manage:project', description: 'Change project settings.', implies: ['read:project'] },
  ],
  resourceTypes: ['project'],
};

const confluence: Profile = {
  name: 'confluence',
  title: 'Confluence',
  scopes: [
    { name: 'READ', description: 'View spaces, pages, blog posts and attachments.', implies: ['read:space', 'read:page'] },
    { name: 'WRITE', description: 'Create and edit pages, blog posts and comments.', implies: ['READ', 'write:page'] },
    { name: 'ADMIN', description: 'Administer spaces and the instance.', implies: ['WRITE', 'manage:space'], adminLevel: true },
    { name: 'read:space', description: 'View spaces.', implies: [] },
    { name: 'read:page', description: 'View pages and blog posts.', implies: [] },
    { name: 'write:page', description: 'Create and edit pages and blog posts.', implies: ['read:page'] },
    { name: 'manage:space', description: 'Change space settings and permissions.', implies: ['read:space'] },
  ],
  resourceTypes: ['space'],
};

const bitbucket: Profile = {
  name: 'bitbucket',
  title: 'Bitbucket',
  scopes: [
    { name: 'PUBLIC_REPOS', description: 'Read public repositories.', implies: [] },
    { name: 'REPO_READ', description: 'Read and clone repositories.', implies: ['PUBLIC_REPOS'] },
    { name: 'REPO_WRITE', description: 'Push to repositories and manage pull requests.', implies: ['REPO_READ'] },
    { name: 'REPO_ADMIN', description: 'Administer repositories.', implies: ['REPO_WRITE'] },
    { name: 'PROJECT_ADMIN', description: 'Administer projects and their repositories.', implies: ['REPO_ADMIN'] },
  ],
  resourceTypes: ['project', 'repository'],
};

const bamboo: Profile = {
  name: 'bamboo',
  title: 'Bamboo',
  scopes: [
    { name: 'READ', description: 'View plans, builds and deployments.', implies: [] },
    { name: 'WRITE', description: 'Run and change plans and deployments.', implies: ['READ'] },
  ],
  resourceTypes: ['project', 'deployment-project', 'repository'],
};

const crowd: Profile = {
  name: 'crowd',
  title: 'Crowd',
  scopes: [{ name: 'APPLICATION', description: 'Use the Crowd application REST API.', implies: [] }],
  resourceTypes: [],
};

// NOTE: the generic profile's scopes and resource types are meant to be defined by the admin;
// until custom profiles can be loaded it offers a coarse READ/WRITE pair and one resource type.
const generic: Profile = {
  name: 'generic',
  title: 'Generic product',
  scopes: [
    { name: 'READ', description: 'Read access.', implies: [] },
    { name: 'WRITE', description: 'Write access.', implies: ['READ'] },
  ],
  resourceTypes: ['resource'],
};

/**
 * Tessera's own admin API as a product instance, so that automation reaches it with a service
 * account's access token. `admin:read` acts like the auditor role and `admin:write` like the
 * admin role; `admin:write` is admin-level, so granting it needs the policy opt-in.
 */
export const TESSERA_PROFILE_NAME = 'tessera';
export const ADMIN_READ_SCOPE = 'admin:read';
export const ADMIN_WRITE_SCOPE = 'admin:write';

const tessera: Profile = {
  name: TESSERA_PROFILE_NAME,
  title: 'Tessera admin API',
  scopes: [
    { name: ADMIN_READ_SCOPE, description: 'Read instances, service accounts, credentials, policy, signing keys and the audit log, like the auditor role.', implies: [] },
    { name: ADMIN_WRITE_SCOPE, description: 'Change everything the admin role may change, except admins themselves.', implies: [ADMIN_READ_SCOPE], adminLevel: true },
  ],
  resourceTypes: [],
  reserved: true,
};

export const BUILT_IN_PROFILES: ReadonlyMap<string, Profile> = new Map(
  [jira, confluence, bitbucket, bamboo, crowd, generic, tessera].map((profile) => [profile.name, profile]),
);

export function findProfile(name: string): Profile | undefined {
  return BUILT_IN_PROFILES.get(name);
}

/** Expands granted scopes with every scope they imply, transitively. */
export function expandScopes(profile: Profile, granted: Iterable<string>): Set<string> {
  const byName = new Map(profile.scopes.map((scope) => [scope.name, scope]));
  const expanded = new Set<string>();
  const pending = [...granted];

  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (expanded.has(name)) continue;
    expanded.add(name);
    pending.push(...(byName.get(name)?.implies ?? []));
  }

  return expanded;
}

/** Decides whether the granted scopes cover a required scope, directly or by implication. */
export function scopeSatisfies(profile: Profile, granted: Iterable<string>, required: string): boolean {
  return expandScopes(profile, granted).has(required);
}
