import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { verifySignedToken } from '../oauth/verify-token.js';
import { adminInstanceIds, findSession } from '../storage/admins.js';
import { authenticateAdminToken } from './token-auth.js';
import type { AdminRole } from '../storage/tables.js';

export const SESSION_COOKIE = 'tessera_session';
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

export interface AdminPrincipal {
  id: string;
  username: string;
  role: AdminRole;
  sessionIdHash: string;
  csrfToken: string;
  /** Instances an instance-admin manages; empty for other roles. */
  instanceIds: string[];
  /**
   * Set when a service account called with an access token for the tessera instance. Its id
   * and name are then the account's, its role follows the token's scopes, and it has no
   * session or CSRF token.
   */
  serviceAccount?: { credentialId: string; scopes: string[] };
}

declare module 'fastify' {
  interface FastifyRequest {
    admin?: AdminPrincipal;
  }
}

export function hashSessionId(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url');
}

export function newSessionSecrets(): { sessionId: string; csrfToken: string } {
  return { sessionId: randomBytes(32).toString('base64url'), csrfToken: randomBytes(32).toString('base64url') };
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;

  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

export function sessionCookie(ctx: ServerContext, value: string, maxAgeSeconds: number): string {
  const secure = ctx.config.issuer.startsWith('https:') ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Rejects and audits service-account credentials that the admin API does not accept: a client
 * secret, or a token for an instance other than the built-in tessera instance.
 */
async function rejectServiceAccount(ctx: ServerContext, request: FastifyRequest): Promise<void> {
  const authorization = request.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
  const claims = bearer ? await verifySignedToken(ctx, bearer[1]) : undefined;
  if (!bearer && !/^Basic\s/i.test(authorization)) return;

  await ctx.audit.write({
    actor: claims ? { type: 'service_account', id: claims.sub, credentialId: claims.credential_id } : { type: 'anonymous' },
    action: 'admin.access_refused',
    source: sourceOf(request),
    outcome: 'failure',
    reason: claims ? 'service_account_token' : 'credentials_in_authorization_header',
    details: { method: request.method, path: request.routeOptions.url ?? request.url.split('?')[0] },
  });
  throw new RequestError(
    'service_account_sign_in',
    'The admin API does not accept client secrets or tokens for other instances. Sign in as an admin with POST /api/v1/session, or send a token for the tessera instance from an account granted admin:read or admin:write there.',
  );
}

/**
 * Requires a signed-in admin, and for state-changing methods the session's CSRF token, or a
 * service account's bearer token for the tessera instance. Bearer requests carry no cookie, so
 * a cross-site form cannot send them and they need no CSRF token.
 */
export function requireAdmin(ctx: ServerContext) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const sessionId = readCookie(request, SESSION_COOKIE);
    const session = sessionId ? await findSession(ctx.db, hashSessionId(sessionId), ctx.clock.now()) : undefined;

    if (!session) {
      const tokenPrincipal = await authenticateAdminToken(ctx, request, reply);
      if (tokenPrincipal) {
        request.admin = tokenPrincipal;
        return;
      }

      await rejectServiceAccount(ctx, request);
      throw new RequestError('unauthenticated', 'Sign in first: POST /api/v1/session with {"username", "password"}, then send the session cookie.');
    }

    if (UNSAFE_METHODS.has(request.method)) {
      const header = request.headers['x-csrf-token'];
      if (typeof header !== 'string' || !sameToken(header, session.csrf_token)) {
        throw new RequestError('csrf_token_invalid', 'Send the csrfToken from the sign-in response in the X-CSRF-Token header.');
      }
    }

    const instanceIds = session.role === 'instance-admin' ? await adminInstanceIds(ctx.db, session.admin_id) : [];
    request.admin = { id: session.admin_id, username: session.username, role: session.role, sessionIdHash: session.id_hash, csrfToken: session.csrf_token, instanceIds };
  };
}

/** Describes the caller's role for a forbidden message: the admin's role, or the token's scopes. */
export function callerRole(request: FastifyRequest): string {
  const admin = request.admin;
  if (!admin) return 'you are not signed in';
  if (admin.serviceAccount) return `your token has the scopes ${admin.serviceAccount.scopes.join(' ')}, which act as the ${admin.role} role; admin:write acts as the admin role`;
  return `you are signed in as ${admin.role}`;
}

/** Requires the admin role; see permissions.ts for the finer checks of the other roles. */
export function requireRole(request: FastifyRequest, role: 'admin'): void {
  if (request.admin?.role !== role) {
    throw new RequestError('forbidden', `This action needs the ${role} role; ${callerRole(request)}.`);
  }
}

/** The audit actor of an admin API request: the admin, or the service account and the credential its token came from. */
export function adminActor(request: FastifyRequest) {
  const admin = request.admin!;
  if (admin.serviceAccount) return { type: 'service_account' as const, id: admin.id, credentialId: admin.serviceAccount.credentialId };
  return { type: 'admin' as const, id: admin.id };
}
