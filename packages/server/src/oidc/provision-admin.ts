import type { Kysely } from 'kysely';
import type { OidcSignInErrorCode } from '@tessera/shared';
import { isUniqueViolation } from '../admin-api/account-store.js';
import { adminView } from '../admin-api/admins.js';
import type { AuditEventInput } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { newId } from '../crypto/secrets.js';
import { adminInstanceIds, findAdminByUsername, insertAdmin, replaceAdminInstances, updateAdmin } from '../storage/admins.js';
import { isBuiltInInstance } from '../admin-api/tessera-instance.js';
import { listInstances } from '../storage/instances.js';
import type { AdminRow, Database } from '../storage/tables.js';
import type { OidcConfig } from './config.js';
import { type VerifiedIdentity, readClaim } from './identity-provider.js';
import { type MappedRole, mapGroupsToRole } from './role-map.js';

/** Usernames that the admin API accepts, so that OIDC admins can be managed like the others. */
const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{1,100}$/;
const MAX_GROUPS_IN_AUDIT = 50;

/** An OIDC sign-in that Tessera rejects; `reason` goes to the audit log and `code` to the sign-in page. */
export class SignInRejected extends Error {
  constructor(
    readonly code: OidcSignInErrorCode,
    readonly reason: string,
    message: string,
    readonly adminId?: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'SignInRejected';
  }
}

/** Reads the groups from the claim, which holds a list of strings, or one string for a single group. */
export function readGroups(claims: Record<string, unknown>, claim: string): string[] | undefined {
  const value = readClaim(claims, claim);
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string');
  return undefined;
}

/** Picks the username from the configured claim, then `email`, then `sub`: the first that is present. */
function readUsername(config: OidcConfig, claims: Record<string, unknown>): string {
  const claim = [config.usernameClaim, 'email', 'sub'].find((name) => typeof readClaim(claims, name) === 'string' && readClaim(claims, name) !== '')!;
  const username = readClaim(claims, claim) as string;
  if (!USERNAME_PATTERN.test(username)) {
    throw new SignInRejected('username_unavailable', 'username_claim_invalid', `the ${claim} claim is not a valid admin username: use letters, digits and . _ @ - only, at most 100 characters`, undefined, {
      claim,
    });
  }
  return username;
}

/**
 * Resolves the instance slugs of the role map to ids; slugs that name no instance are left out.
 * The built-in tessera instance counts as unknown, because an instance-admin of it could grant
 * admin:write and so act as a full admin.
 */
async function resolveInstanceIds(db: Kysely<Database>, mapped: MappedRole): Promise<{ ids: string[]; unknownSlugs: string[] }> {
  if (mapped.role !== 'instance-admin') return { ids: [], unknownSlugs: [] };

  const instances = (await listInstances(db)).filter((row) => !isBuiltInInstance(row));
  const ids = mapped.instanceSlugs.flatMap((slug) => instances.filter((row) => row.slug === slug).map((row) => row.id));
  const unknownSlugs = mapped.instanceSlugs.filter((slug) => !instances.some((row) => row.slug === slug));
  return { ids: [...new Set(ids)].sort(), unknownSlugs };
}

function systemEvent(action: string, admin: AdminRow, source: AuditEventInput['source'], details: Record<string, unknown>): AuditEventInput {
  return { actor: { type: 'system' }, action, target: { type: 'admin', id: admin.id }, source, outcome: 'success', details: { via: 'oidc_sign_in', ...details } };
}

interface Provisioned {
  admin: AdminRow;
  mapped: MappedRole;
}

/**
 * Finds or creates the admin for a verified OIDC identity and brings its role and instances
 * in line with the user's groups at the provider. Creating, linking and changing an admin is
 * audited (`admin.created`, `admin.updated`) in the same transaction as the change.
 * Throws SignInRejected when the user may not sign in.
 */
export async function provisionAdmin(ctx: ServerContext, identity: VerifiedIdentity, source: AuditEventInput['source']): Promise<Provisioned> {
  const config = ctx.config.oidc!;
  const groups = readGroups(identity.claims, config.groupsClaim);
  const mapped = mapGroupsToRole(config.roleMap, groups ?? []);
  if (!mapped) {
    throw new SignInRejected('no_mapped_group', 'no_mapped_group', 'none of the user\'s groups is in TESSERA_OIDC_ROLE_MAP', undefined, {
      groupsClaim: config.groupsClaim,
      groupsClaimPresent: groups !== undefined,
      groups: (groups ?? []).slice(0, MAX_GROUPS_IN_AUDIT),
    });
  }

  const username = readUsername(config, identity.claims);
  const externalSubject = `${identity.issuer} ${identity.subject}`;
  try {
    return await applyIdentity(ctx, { username, externalSubject, mapped }, source);
  } catch (error) {
    // Two first sign-ins of one user at once: the loser finds the row the winner created.
    if (isUniqueViolation(error)) return applyIdentity(ctx, { username, externalSubject, mapped }, source);
    throw error;
  }
}

async function applyIdentity(ctx: ServerContext, input: { username: string; externalSubject: string; mapped: MappedRole }, source: AuditEventInput['source']): Promise<Provisioned> {
  const { username, externalSubject, mapped } = input;
  const config = ctx.config.oidc!;
  const now = ctx.clock.now();

  return ctx.audit.transaction(async (trx) => {
    const { ids: instanceIds, unknownSlugs } = await resolveInstanceIds(trx, mapped);
    const matchedGroups = mapped.matchedGroups;
    if (mapped.role === 'instance-admin' && instanceIds.length === 0) {
      throw new SignInRejected('no_mapped_group', 'mapped_instances_unknown', `the role map gives instance-admin on ${unknownSlugs.join(', ')}, but no instance has such a slug`, undefined, {
        groups: matchedGroups,
        unknownInstances: unknownSlugs,
      });
    }

    let existing = await trx.selectFrom('admins').selectAll().where('external_subject', '=', externalSubject).executeTakeFirst();
    let linked = false;
    if (!existing) {
      const sameName = await findAdminByUsername(trx, username);
      if (sameName && sameName.external_subject === null && !config.linkLocalAdmins) {
        throw new SignInRejected('local_admin_exists', 'local_admin_exists', `a local admin named "${username}" exists and TESSERA_OIDC_LINK_LOCAL_ADMINS is off`, sameName.id, { username });
      }
      if (sameName && sameName.external_subject !== null) {
        throw new SignInRejected('username_unavailable', 'username_taken', `the username "${username}" belongs to another identity-provider user`, sameName.id, { username });
      }
      existing = sameName;
      linked = sameName !== undefined;
    }

    if (!existing) {
      const admin: AdminRow = { id: newId(), username, password_hash: '', role: mapped.role, created_at: now, auth_source: 'oidc', external_subject: externalSubject, updated_at: now };
      await insertAdmin(trx, admin);
      await replaceAdminInstances(trx, admin.id, instanceIds);
      await ctx.audit.writeInTransaction(trx, [systemEvent('admin.created', admin, source, { after: await adminView(trx, admin), groups: matchedGroups, unknownInstances: unknownSlugs })]);
      return { admin, mapped };
    }

    // A username the provider changed is taken over, unless another admin already has it.
    const renamed = existing.username !== username && !(await findAdminByUsername(trx, username));
    const beforeInstances = await adminInstanceIds(trx, existing.id);
    const unchanged = !linked && !renamed && existing.role === mapped.role && beforeInstances.join() === instanceIds.join();
    if (unchanged) return { admin: existing, mapped };

    const admin: AdminRow = { ...existing, username: renamed ? username : existing.username, role: mapped.role, auth_source: 'oidc', external_subject: externalSubject, updated_at: now };
    const before = await adminView(trx, existing);
    await updateAdmin(trx, admin);
    await replaceAdminInstances(trx, admin.id, instanceIds);
    const after = await adminView(trx, admin);
    await ctx.audit.writeInTransaction(trx, [systemEvent('admin.updated', admin, source, { before, after, groups: matchedGroups, linked, unknownInstances: unknownSlugs })]);
    return { admin, mapped };
  });
}
