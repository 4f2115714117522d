import type { FastifyRequest } from 'fastify';
import type { Grant } from '../accounts/access.js';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import { adminActor, callerRole } from './auth.js';
import type { ServerContext } from '../context.js';
import { grantsOf } from '../storage/accounts.js';

/**
 * What each role may do:
 * - `admin` does everything.
 * - `instance-admin` reads and manages only service accounts whose grants are all on the
 *   instances assigned to it, and reads only those instances and the audit events about them.
 * - `auditor` reads everything and changes nothing.
 */

function forbidden(message: string): RequestError {
  return new RequestError('forbidden', message);
}

/** Requires the admin role, for organisation-wide settings such as instances, policy, keys and admins. */
export function requireFullAdmin(request: FastifyRequest): void {
  const role = request.admin?.role;
  if (role !== 'admin') throw forbidden(`This action needs the admin role; ${callerRole(request)}.`);
}

/** Requires a role that may change service accounts; auditors only read. */
export function requireAccountManager(request: FastifyRequest): void {
  const role = request.admin?.role;
  if (role !== 'admin' && role !== 'instance-admin') throw forbidden(`This action needs the admin or instance-admin role; ${callerRole(request)}.`);
}

/** Rejects an instance-admin, for organisation-wide data such as audit sinks, retention and migration imports. */
export function rejectInstanceAdmin(request: FastifyRequest, what: string): void {
  if (request.admin?.role === 'instance-admin') throw forbidden(`${what} cover the whole organisation, so an instance-admin cannot use them; ask an admin.`);
}

/** Returns the instances an instance-admin is limited to, or undefined for roles that see every instance. */
export function instanceScope(request: FastifyRequest): string[] | undefined {
  return request.admin?.role === 'instance-admin' ? [...(request.admin.instanceIds ?? [])] : undefined;
}

/** Rejects grants that reach outside an instance-admin's instances, or no grants at all, which would leave the account outside its reach. */
export function requireGrantsInScope(request: FastifyRequest, grants: Grant[]): void {
  const scope = instanceScope(request);
  if (!scope) return;

  if (grants.length === 0) {
    throw new RequestError('validation_failed', 'access is empty; an instance-admin must grant the account access to at least one of its own instances.', 'access');
  }
  const outside = grants.findIndex((grant) => !scope.includes(grant.instanceId));
  if (outside >= 0) {
    throw forbidden(`access[${outside}] names instance "${grants[outside].instanceSlug}", which is not assigned to you; ask an admin to grant access there.`);
  }
}

/**
 * Rejects an instance-admin's request about an account with a grant on an instance not
 * assigned to it, or with no grant on its instances. `change` names the action for the message.
 */
export async function requireAccountInScope(ctx: ServerContext, request: FastifyRequest, accountId: string, change: boolean): Promise<void> {
  const scope = instanceScope(request);
  if (!scope) return;

  const grants = await grantsOf(ctx.db, [accountId]);
  const inside = grants.filter((grant) => scope.includes(grant.instance_id));
  const readable = inside.length > 0;
  const manageable = readable && inside.length === grants.length;
  if (change ? manageable : readable) return;

  throw forbidden(
    change
      ? 'The account has access to instances that are not assigned to you, or to none of yours; only an admin may change it.'
      : 'The account has no access to an instance assigned to you; ask an admin.',
  );
}

/** Records a forbidden request in the audit log, so that attempts beyond a role are visible. */
export async function auditForbidden(ctx: ServerContext, request: FastifyRequest, error: RequestError): Promise<void> {
  if (!request.admin) return;
  try {
    await ctx.audit.write({
      actor: adminActor(request),
      action: 'admin.forbidden',
      source: sourceOf(request),
      outcome: 'failure',
      reason: 'forbidden',
      details: { method: request.method, path: request.routeOptions.url ?? request.url.split('?')[0], role: request.admin.role, message: error.message },
    });
  } catch (auditError) {
    request.log.error({ err: auditError, adminId: request.admin.id }, 'writing the audit event of a forbidden admin request failed');
  }
}
