import { verify } from '@node-rs/argon2';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { findAccountByClientId, findAccountByName } from '../storage/accounts.js';
import { deleteSession, findAdminByUsername } from '../storage/admins.js';
import { adminActor, requireAdmin, sessionCookie } from './auth.js';
import { sessionAdminView, startSession } from './sessions.js';
import { requireSignedInAdmin } from './token-auth.js';

const SignInBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 200 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

// A real argon2id hash of a random password, verified when the username is unknown, so that
// unknown and known usernames take the same time to refuse.
const DECOY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3jOZtQWOLtTQtr6QYBBhMD2ucnAf+WSaPqd5ZhO9xC8';

export async function sessionRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.post('/session', { schema: { body: SignInBody } }, async (request, reply) => {
    const { username, password } = request.body as { username: string; password: string };
    const source = sourceOf(request);
    const throttleKey = `${username}\u0000${request.ip}`;

    const retryAfter = ctx.throttles.signIn.retryAfterSeconds(throttleKey);
    if (retryAfter > 0) {
      reply.header('retry-after', String(retryAfter));
      throw new RequestError('too_many_attempts', `Too many failed sign-ins for "${username}" from this address; retry after ${retryAfter} seconds.`);
    }

    const admin = await findAdminByUsername(ctx.db, username);
    if (!admin) {
      const serviceAccount = (await findAccountByClientId(ctx.db, username)) ?? (await findAccountByName(ctx.db, username));
      if (serviceAccount) {
        await ctx.audit.write({
          actor: { type: 'service_account', id: serviceAccount.id },
          action: 'admin.sign_in',
          source,
          outcome: 'failure',
          reason: 'service_account_sign_in',
        });
        throw new RequestError(
          'service_account_sign_in',
          `username "${username}" belongs to a service account. Service accounts have no interactive sign-in; they get tokens from POST /oauth/token with their client id and secret.`,
          'username',
        );
      }
    }

    // An admin who signs in only through the identity provider has no password hash; the decoy keeps the timing the same.
    const hasPassword = Boolean(admin?.password_hash);
    const valid = (await verify(hasPassword ? admin!.password_hash : DECOY_HASH, password).catch(() => false)) && hasPassword;
    if (!admin || !valid) {
      ctx.throttles.signIn.recordFailure(throttleKey);
      await ctx.audit.write({
        actor: admin ? { type: 'admin', id: admin.id } : { type: 'anonymous' },
        action: 'admin.sign_in',
        source,
        outcome: 'failure',
        reason: admin ? (hasPassword ? 'wrong_password' : 'no_local_password') : 'unknown_username',
        details: admin ? null : { username: username.slice(0, 200) },
      });
      throw new RequestError('invalid_credentials', 'The username or password is wrong.');
    }

    ctx.throttles.signIn.reset(throttleKey);
    return startSession(ctx, reply, admin, { source, details: { method: 'password' } });
  });

  app.get('/session', { onRequest: requireAdmin(ctx) }, async (request) => {
    requireSignedInAdmin(request, 'A session');
    const admin = request.admin!;
    return { admin: await sessionAdminView(ctx, admin), csrfToken: admin.csrfToken };
  });

  app.delete('/session', { onRequest: requireAdmin(ctx) }, async (request, reply) => {
    requireSignedInAdmin(request, 'A session');
    await ctx.audit.transaction(async (trx) => {
      await deleteSession(trx, request.admin!.sessionIdHash);
      await ctx.audit.writeInTransaction(trx, [{ actor: adminActor(request), action: 'admin.sign_out', source: sourceOf(request), outcome: 'success' }]);
    });
    reply.header('set-cookie', sessionCookie(ctx, '', 0));
    return reply.code(204).send();
  });
}
