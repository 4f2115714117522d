/** Shapes of the admin API's requests and responses under /api/v1. Timestamps are RFC 3339 UTC strings. */

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  /** Path of the request field at fault, such as `access[0].scopes[1]`. */
  field?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  /** Number of items that match the filters across all pages, where the endpoint reports it. */
  total?: number;
}

export interface Admin {
  id: string;
  username: string;
  role: 'admin' | 'auditor';
}

export interface Session {
  admin: Admin;
  csrfToken: string;
}

/** Whether admins may sign in through an OpenID Connect provider, from GET /session/oidc. */
export type OidcSettings = { enabled: false } | { enabled: true; displayName: string; startUrl: string };

/** Resource type to a list of ids, or `"*"` for all of them. A type left out means no access. */
export type ResourceRestrictions = Record<string, string[] | '*'>;

export interface AccessGrant {
  instance: string;
  instanceId?: string;
  scopes: string[];
  resources: ResourceRestrictions;
}

export type AccountStatus = 'active' | 'disabled';

export interface ServiceAccount {
  id: string;
  clientId: string;
  name: string;
  description: string;
  owner: string;
  status: AccountStatus;
  access: AccessGrant[];
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  /** Soonest expiry among the account's live credentials. */
  credentialExpiresAt: string | null;
}

export interface CreatedAccount extends ServiceAccount {
  credential: { id: string; clientSecret: string; createdAt: string; expiresAt: string | null };
}

export type CredentialStatus = 'active' | 'expired' | 'revoked';

export interface Credential {
  id: string;
  status: CredentialStatus;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  /** Id of the credential that a rotation put in this one's place; a rotated credential cannot be rotated again. */
  replacedBy?: string | null;
}

export interface CreatedCredential extends Credential {
  clientSecret: string;
}

export interface RotatedCredential extends CreatedCredential {
  previous: Credential;
}

export interface Instance {
  id: string;
  slug: string;
  name: string;
  profile: string;
  audience: string;
  accessTokenLifetimeSeconds: number | null;
  tokenFormat: 'jwt' | 'opaque';
  createdAt: string;
  updatedAt: string;
}

export interface ProfileScope {
  name: string;
  description: string;
  implies: string[];
  impliesAll: string[];
  adminLevel: boolean;
}

export interface Profile {
  name: string;
  title: string;
  resourceTypes: string[];
  scopes: ProfileScope[];
}

export interface AuditEvent {
  id: string;
  occurredAt: string;
  /** `name` is the actor's current name, or null once it is deleted. */
  actor: { type: string; id: string | null; name?: string | null; credentialId: string | null };
  action: string;
  target: { type: string; id: string | null; name?: string | null } | null;
  instanceId: string | null;
  source: { ip: string | null; userAgent: string | null };
  outcome: 'success' | 'failure';
  reason: string | null;
  details: Record<string, unknown> | null;
  hash: string;
}

export interface TokenUsageDay {
  /** Calendar day as YYYY-MM-DD. */
  date: string;
  issued: number;
  refused: number;
}
