import type { FastifyReply } from 'fastify';
import type { AuditEventInput } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { adminInstanceIds, deleteExpiredSessions, insertSession } from '../storage/admins.js';
import type { AdminRow } from '../storage/tables.js';
import { SESSION_LIFETIME_MS, hashSessionId, newSessionSecrets, sessionCookie } from './auth.js';

/** The signed-in admin as the session endpoints return it. */
export async function sessionAdminView(ctx: ServerContext, admin: Pick<AdminRow, 'id' | 'username' | 'role'>) {
  const instances = admin.role === 'instance-admin' ? await adminInstanceIds(ctx.db, admin.id) : [];
  return { id: admin.id, username: admin.username, role: admin.role, ...(admin.role === 'instance-admin' ? { instances } : {}) };
}

/**
 * Opens a session for an admin who proved who they are, by password or through an identity
 * provider: stores the session under a hash, audits the sign-in and sets the cookie.
 */
export async function startSession(ctx: ServerContext, reply: FastifyReply, admin: AdminRow, signIn: Pick<AuditEventInput, 'source' | 'details'>) {
  const { sessionId, csrfToken } = newSessionSecrets();
  const now = ctx.clock.now();
  const expiresAt = now + SESSION_LIFETIME_MS;

  await ctx.audit.transaction(async (trx) => {
    await deleteExpiredSessions(trx, now);
    await insertSession(trx, { id_hash: hashSessionId(sessionId), admin_id: admin.id, csrf_token: csrfToken, created_at: now, expires_at: expiresAt });
    await ctx.audit.writeInTransaction(trx, [{ actor: { type: 'admin', id: admin.id }, action: 'admin.sign_in', outcome: 'success', ...signIn }]);
  });

  reply.header('set-cookie', sessionCookie(ctx, sessionId, SESSION_LIFETIME_MS / 1000));
  return { admin: await sessionAdminView(ctx, admin), csrfToken, expiresAt: new Date(expiresAt).toISOString() };
}
