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

export type AdminRole = 'admin' | 'instance-admin' | 'auditor';

/** The signed-in admin, as the session endpoints return it. */
export interface Admin {
  id: string;
  username: string;
  role: AdminRole;
  /** Ids of the instances an instance-admin manages; absent for the other roles. */
  instances?: string[];
}

/** One admin as GET /api/v1/admins lists it. */
export interface AdminRecord {
  id: string;
  username: string;
  role: AdminRole;
  /** Instance ids, for an instance-admin; empty for the other roles. */
  instances: string[];
  /** Sign-in method, such as `local` for a password that Tessera stores or `oidc` for an identity provider. */
  authSource: string;
  hasPassword: boolean;
  createdAt: string;
  /** Null when no change time is stored, as for the first admin that the server creates at start-up. */
  updatedAt: string | null;
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
  purpose: string;
  contacts: Contact[];
  /** Calendar day (YYYY-MM-DD) by which the owner should review the account. */
  reviewDate: string | null;
  /** CIDR blocks that may request tokens. Null means the policy's default allowlist applies. */
  ipAllowlist: string[] | null;
  rateLimit: RateLimit | null;
  /** Whether tokens must be bound to a DPoP key. Turning it on ends existing bearer tokens. */
  dpopBound: boolean;
  /** When the account was marked dormant for going unused too long, or null. */
  dormantSince: string | null;
}

/** A person or team notified about expiring credentials and dormancy. */
export type Contact = { type: 'email'; address: string } | { type: 'webhook'; url: string };

/** Token requests an account may make. In `log_only` mode an excess is recorded, but the token is still issued. */
export interface RateLimit {
  perMinute: number | null;
  perDay: number | null;
  mode: 'enforce' | 'log_only';
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
  /** Only the built-in tessera instance uses it, so no new instance may choose it. */
  reserved: boolean;
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

/** The organisation's policy as GET and PUT /policy carry it. */
export interface Policy {
  credentials: {
    maxLifetimeDays: number | null;
    expiryRequired: boolean;
    maxLivePerAccount: number | null;
    blockNoncompliantFrom: string | null;
  };
  accessTokens: { defaultLifetimeSeconds: number; maxLifetimeSeconds: number };
  /** `allowedByInstance` maps an instance slug to its allowed scopes; an instance left out allows every scope. */
  scopes: { allowedByInstance: Record<string, string[]>; adminScopesAllowed: boolean };
  network: { defaultIpAllowlist: string[] | null };
  dormancy: { afterDays: number | null; action: 'flag' | 'disable'; warnDaysBefore: number };
  notifications: { expiryLeadDays: number[] };
}

export interface StoredPolicy extends Policy {
  updatedAt: string | null;
  /** Id of the admin who saved the policy last. */
  updatedBy: string | null;
}

/** Response of PUT /policy: the saved policy and how many existing things break it. */
export interface SavedPolicy extends StoredPolicy {
  noncompliant: { credentials: number; accounts: number; grants: number };
}

export interface Noncompliance {
  blockFrom: string | null;
  /** True once `blockFrom` has passed, so the token endpoint rejects the listed credentials. */
  blocking: boolean;
  credentials: { accountId: string; accountName: string; credentialId: string; createdAt: string; expiresAt: string | null; violations: string[] }[];
  accounts: { accountId: string; accountName: string; liveCredentials: number; violations: string[] }[];
  grants: { accountId: string; accountName: string; instance: string; scopes: string[]; violations: string[] }[];
}
