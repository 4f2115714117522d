import { findProfile } from '@tessera/shared';
import type { JWK } from 'jose';
import type { Kysely } from 'kysely';
import { type AccessGrantInput, type Grant, type InstanceRef, validateAccess } from '../accounts/access.js';
import { RequestError } from '../accounts/errors.js';
import type { ServerContext } from '../context.js';
import { generateClientSecret, newId } from '../crypto/secrets.js';
import { findAccount, grantsOf } from '../storage/accounts.js';
import { credentialsOf, credentialsOfMany, insertCredential } from '../storage/credentials.js';
import { listInstances } from '../storage/instances.js';
import type { CredentialRow, Database, GrantRow, InstanceRow, ServiceAccountRow } from '../storage/tables.js';
import { accountView, credentialStatus } from './views.js';
import type { Policy } from '../accounts/policy.js';
import { allowedScopesOn, checkLiveCredentialCount, credentialLifetimeDays } from '../accounts/policy-rules.js';
import { DAY_MS } from '../clock.js';

export async function instanceIndex(db: Kysely<Database>): Promise<Map<string, InstanceRow>> {
  return new Map((await listInstances(db)).map((row) => [row.id, row]));
}

/** Validates grants against the instances' profiles, looking instances up by slug or id. */
export function resolveAccess(input: AccessGrantInput[], instances: Map<string, InstanceRow>, policy: Policy): Grant[] {
  const refs = new Map<string, InstanceRef>();
  for (const row of instances.values()) {
    const profile = findProfile(row.profile);
    if (!profile) continue;
    const ref = { id: row.id, slug: row.slug, profile };
    refs.set(row.id, ref);
    refs.set(row.slug, ref);
  }
  return validateAccess(input, (name) => refs.get(name), { adminScopesAllowed: policy.scopes.adminScopesAllowed, allowedOn: (id) => allowedScopesOn(policy, id) });
}

export function grantRows(accountId: string, grants: Grant[]): GrantRow[] {
  return grants.map((grant) => ({ account_id: accountId, instance_id: grant.instanceId, scopes: JSON.stringify(grant.scopes), resources: JSON.stringify(grant.resources) }));
}

/** Reads stored grant rows back into grants, for comparing an account's access before and after a change. */
export function grantsFromRows(rows: GrantRow[], instances: Map<string, InstanceRow>): Grant[] {
  return rows.map((row) => ({
    instanceId: row.instance_id,
    instanceSlug: instances.get(row.instance_id)?.slug ?? row.instance_id,
    scopes: JSON.parse(row.scopes) as string[],
    resources: JSON.parse(row.resources),
  }));
}

export async function requireAccount(ctx: ServerContext, id: string): Promise<ServiceAccountRow> {
  const account = await findAccount(ctx.db, id);
  if (!account) throw new RequestError('not_found', `No service account has the id "${id}"; list accounts with GET /api/v1/service-accounts.`);
  return account;
}

/** Loads the full API view of one account, in the given transaction or database. */
export async function loadAccountView(ctx: ServerContext, db: Kysely<Database>, account: ServiceAccountRow) {
  const [grants, credentials, instances] = await Promise.all([grantsOf(db, [account.id]), credentialsOf(db, account.id), instanceIndex(db)]);
  return accountView(ctx, account, grants, credentials, instances);
}

export async function loadAccountViews(ctx: ServerContext, accounts: ServiceAccountRow[]) {
  const ids = accounts.map((account) => account.id);
  const [grants, credentials, instances] = await Promise.all([grantsOf(ctx.db, ids), credentialsOfMany(ctx.db, ids), instanceIndex(ctx.db)]);
  return accounts.map((account) =>
    accountView(
      ctx,
      account,
      grants.filter((grant) => grant.account_id === account.id),
      credentials.filter((credential) => credential.account_id === account.id),
      instances,
    ),
  );
}

/**
 * A new credential row, within the policy's lifetime and live-credential limits, which secrets
 * and public keys share. `replacing` names a credential that a rotation retires, which
 * therefore does not count against the limit.
 */
async function newCredentialRow(
  ctx: ServerContext,
  db: Kysely<Database>,
  accountId: string,
  expiresInDays: number | null | undefined,
  kind: Pick<CredentialRow, 'kind' | 'secret_hash' | 'public_jwk' | 'jwks_url'>,
  options: { field?: string; replacing?: string },
): Promise<CredentialRow> {
  const policy = await ctx.policies.current(db);
  const now = ctx.clock.now();
  const days = credentialLifetimeDays(policy, expiresInDays, options.field ?? 'expiresInDays');
  const live = (await credentialsOf(db, accountId)).filter((row) => row.id !== options.replacing && credentialStatus(row, now) === 'active');
  checkLiveCredentialCount(policy, live.length);

  return {
    id: newId(),
    account_id: accountId,
    ...kind,
    created_at: now,
    expires_at: days === null ? null : now + days * DAY_MS,
    revoked_at: null,
    last_used_at: null,
    last_used_ip: null,
    replaced_by: null,
  };
}

/**
 * Creates a credential row and its secret. The secret is returned to show once; only its
 * keyed hash is stored.
 */
export async function createCredential(ctx: ServerContext, db: Kysely<Database>, accountId: string, expiresInDays: number | null | undefined, options: { field?: string; replacing?: string } = {}) {
  const secret = generateClientSecret();
  const row = await newCredentialRow(ctx, db, accountId, expiresInDays, { kind: 'secret', secret_hash: ctx.keyMaterial.hashSecret(secret), public_jwk: null, jwks_url: null }, options);
  await insertCredential(db, row);
  return { row, secret };
}

/**
 * Creates a public key credential for private_key_jwt, from a validated public JWK or a JWKS
 * URL. Its secret hash is empty, which no presented secret matches.
 */
export async function createKeyCredential(ctx: ServerContext, db: Kysely<Database>, accountId: string, expiresInDays: number | null | undefined, key: { jwk: JWK } | { jwksUrl: string }) {
  const row = await newCredentialRow(
    ctx,
    db,
    accountId,
    expiresInDays,
    { kind: 'public_key', secret_hash: '', public_jwk: 'jwk' in key ? JSON.stringify(key.jwk) : null, jwks_url: 'jwksUrl' in key ? key.jwksUrl : null },
    {},
  );
  await insertCredential(db, row);
  return row;
}

/** Tells whether a database error is a unique-constraint violation, on SQLite or PostgreSQL. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}
