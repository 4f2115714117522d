import type { ServerContext } from '../context.js';
import type { JWK } from 'jose';
import { jwkThumbprint } from '../oauth/public-keys.js';
import { guardrailView } from './account-guardrails.js';
import type { CredentialRow, FederationRow, GrantRow, InstanceRow, ServiceAccountRow } from '../storage/tables.js';

/** RFC 3339 UTC timestamp, or null. */
export function timestamp(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();
}

export function instanceView(row: InstanceRow) {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    profile: row.profile,
    audience: row.audience,
    accessTokenLifetimeSeconds: row.access_token_lifetime_seconds,
    tokenFormat: row.token_format,
    createdAt: timestamp(row.created_at),
    updatedAt: timestamp(row.updated_at),
  };
}

export function credentialStatus(row: CredentialRow, now: number): 'active' | 'expired' | 'revoked' {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at !== null && Number(row.expires_at) <= now) return 'expired';
  return 'active';
}

/** The last use of a credential or federation, merging a use not yet written to the database. */
function lastUseView(ctx: ServerContext, row: { id: string; last_used_at: number | null; last_used_ip: string | null }) {
  const pending = ctx.lastUsed.pendingForCredential(row.id);
  const usedAt = Math.max(Number(row.last_used_at ?? 0), pending?.at ?? 0);
  return {
    lastUsedAt: usedAt > 0 ? timestamp(usedAt) : null,
    lastUsedIp: pending && pending.at >= Number(row.last_used_at ?? 0) ? pending.ip : row.last_used_ip,
  };
}

/** What identifies a public key credential: the key and its RFC 7638 thumbprint, or the JWKS URL. */
function publicKeyView(row: CredentialRow) {
  const jwk = row.public_jwk === null ? null : (JSON.parse(row.public_jwk) as JWK);
  return { publicKey: jwk, jwkThumbprint: jwk && jwkThumbprint(jwk), jwksUrl: row.jwks_url };
}

/**
 * Builds the API view of a credential, without its secret, which is shown only when it is
 * created. `type` tells a secret from a public key, which also shows what identifies it.
 */
export function credentialView(ctx: ServerContext, row: CredentialRow) {
  return {
    id: row.id,
    type: row.kind,
    status: credentialStatus(row, ctx.clock.now()),
    createdAt: timestamp(row.created_at),
    expiresAt: timestamp(row.expires_at),
    revokedAt: timestamp(row.revoked_at),
    ...lastUseView(ctx, row),
    replacedBy: row.replaced_by,
    ...(row.kind === 'public_key' ? publicKeyView(row) : {}),
  };
}

export function federationStatus(row: FederationRow): 'active' | 'revoked' {
  return row.revoked_at === null ? 'active' : 'revoked';
}

export function federationView(ctx: ServerContext, row: FederationRow) {
  return {
    id: row.id,
    accountId: row.account_id,
    status: federationStatus(row),
    issuer: row.issuer,
    jwksUrl: row.jwks_url,
    subject: row.subject,
    subjectPattern: row.subject_pattern,
    audience: row.audience,
    claims: JSON.parse(row.claims) as Record<string, string>,
    createdAt: timestamp(row.created_at),
    revokedAt: timestamp(row.revoked_at),
    ...lastUseView(ctx, row),
  };
}

export function accessView(grants: GrantRow[], instances: Map<string, InstanceRow>) {
  return grants.map((grant) => ({
    instance: instances.get(grant.instance_id)?.slug ?? grant.instance_id,
    instanceId: grant.instance_id,
    scopes: JSON.parse(grant.scopes) as string[],
    resources: JSON.parse(grant.resources) as Record<string, string[] | '*'>,
  }));
}

/** An account as the API returns it; `credentialExpiresAt` is the soonest expiry among live credentials. */
export function accountView(ctx: ServerContext, row: ServiceAccountRow, grants: GrantRow[], credentials: CredentialRow[], instances: Map<string, InstanceRow>) {
  const now = ctx.clock.now();
  const pending = ctx.lastUsed.pendingForAccount(row.id);
  const usedAt = Math.max(Number(row.last_used_at ?? 0), pending?.at ?? 0);
  const expiries = credentials
    .filter((credential) => credentialStatus(credential, now) === 'active' && credential.expires_at !== null)
    .map((credential) => Number(credential.expires_at));

  return {
    id: row.id,
    clientId: row.client_id,
    name: row.name,
    description: row.description,
    owner: row.owner,
    status: row.status,
    access: accessView(grants, instances),
    createdAt: timestamp(row.created_at),
    updatedAt: timestamp(row.updated_at),
    lastUsedAt: usedAt > 0 ? timestamp(usedAt) : null,
    lastUsedIp: pending && pending.at >= Number(row.last_used_at ?? 0) ? pending.ip : row.last_used_ip,
    credentialExpiresAt: expiries.length > 0 ? timestamp(Math.min(...expiries)) : null,
    ...guardrailView(row),
  };
}
