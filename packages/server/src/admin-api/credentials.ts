import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { credentialsOf, findCredential, setCredentialReplaced, setCredentialRevoked } from '../storage/credentials.js';
import { appendRevocations } from '../storage/revocations.js';
import type { CredentialRow } from '../storage/tables.js';
import { normaliseClientJwk, PublicKeyError } from '../oauth/public-keys.js';
import { keySourceUrlProblem } from '../oauth/remote-keys.js';
import { createCredential, createKeyCredential, requireAccount } from './account-store.js';
import { adminActor } from './auth.js';
import { requireAccountInScope, requireAccountManager } from './permissions.js';
import { CredentialRequestSchema, IdParams, NoQuery } from './schemas.js';
import { credentialStatus, credentialView, timestamp } from './views.js';
import { DAY_MS } from '../clock.js';
import { IdempotencyHeaders, replayOrClaim, storeResponse } from './idempotency.js';
import type { Policy } from '../accounts/policy.js';

export const DEFAULT_GRACE_SECONDS = 24 * 60 * 60;
export const MAX_GRACE_SECONDS = 7 * 24 * 60 * 60;

const CredentialParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 200 }), credentialId: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

const RotateBody = Type.Object(
  {
    gracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_GRACE_SECONDS })),
    expiresInDays: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()])),
  },
  { additionalProperties: false },
);

/**
 * Today's body ({expiresInDays}) creates a secret; `publicKey` (a public JWK) or `jwksUrl`
 * creates a public key credential for private_key_jwt instead.
 */
const CreateCredentialBody = Type.Object(
  {
    ...CredentialRequestSchema.properties,
    publicKey: Type.Optional(Type.Object({}, { additionalProperties: true, maxProperties: 40 })),
    jwksUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  },
  { additionalProperties: false },
);

interface CreateCredential {
  expiresInDays?: number | null;
  publicKey?: Record<string, unknown>;
  jwksUrl?: string;
}

/** Checks the key of a new public key credential; undefined when the body asks for a secret. */
function keyOf(ctx: ServerContext, body: CreateCredential) {
  if (body.publicKey !== undefined && body.jwksUrl !== undefined) {
    throw new RequestError('validation_failed', 'Send either publicKey or jwksUrl, not both: a credential is one key or one key set.', 'jwksUrl');
  }
  if (body.publicKey !== undefined) {
    try {
      return { jwk: normaliseClientJwk(body.publicKey) };
    } catch (error) {
      if (error instanceof PublicKeyError) throw new RequestError('validation_failed', `publicKey ${error.message}.`, 'publicKey');
      throw error;
    }
  }
  if (body.jwksUrl !== undefined) {
    const problem = keySourceUrlProblem(body.jwksUrl, ctx.config.allowInsecureJwksUrls);
    if (problem) throw new RequestError('validation_failed', `jwksUrl ${problem}; give the URL where the client publishes its public keys.`, 'jwksUrl');
    return { jwksUrl: body.jwksUrl };
  }
  return undefined;
}

async function requireCredential(ctx: ServerContext, request: FastifyRequest): Promise<CredentialRow> {
  const { id, credentialId } = request.params as { id: string; credentialId: string };
  await requireAccount(ctx, id);
  const credential = await findCredential(ctx.db, id, credentialId);
  if (!credential) throw new RequestError('not_found', `The account has no credential with the id "${credentialId}"; list them with GET /api/v1/service-accounts/${id}/credentials.`);
  return credential;
}

/**
 * Computes the lifetime in days that a replacement credential inherits unless the request sets
 * one, cut to what the current policy allows, so that rotating a credential created under an
 * older policy yields a compliant one. Undefined means the policy's default.
 */
function inheritedLifetimeDays(credential: CredentialRow, policy: Policy): number | null | undefined {
  const { maxLifetimeDays, expiryRequired } = policy.credentials;
  if (credential.expires_at === null) return expiryRequired || maxLifetimeDays !== null ? undefined : null;

  const days = Math.min(Math.max(Math.ceil((Number(credential.expires_at) - Number(credential.created_at)) / DAY_MS), 1), 3650);
  return maxLifetimeDays === null ? days : Math.min(days, maxLifetimeDays);
}

export async function credentialRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get('/service-accounts/:id/credentials', { schema: { params: IdParams, querystring: NoQuery } }, async (request) => {
    const account = await requireAccount(ctx, (request.params as { id: string }).id);
    await requireAccountInScope(ctx, request, account.id, false);
    const rows = await credentialsOf(ctx.db, account.id);
    return { items: rows.map((row) => credentialView(ctx, row)), nextCursor: null };
  });

  app.post('/service-accounts/:id/credentials', { schema: { params: IdParams, body: Type.Optional(CreateCredentialBody), headers: IdempotencyHeaders } }, async (request, reply) => {
    requireAccountManager(request);
    const account = await requireAccount(ctx, (request.params as { id: string }).id);
    await requireAccountInScope(ctx, request, account.id, true);
    if (await replayOrClaim(ctx, request, reply)) return reply;
    const body = (request.body ?? {}) as CreateCredential;
    const key = keyOf(ctx, body);

    if (key) {
      const row = await ctx.audit.transaction(async (trx) => {
        const credential = await createKeyCredential(ctx, trx, account.id, body.expiresInDays, key);
        const view = credentialView(ctx, credential);
        await storeResponse(ctx, trx, request, 201, view);
        await ctx.audit.writeInTransaction(trx, [
          {
            actor: adminActor(request),
            action: 'credential.created',
            target: { type: 'credential', id: credential.id },
            source: sourceOf(request),
            outcome: 'success',
            details: { accountId: account.id, expiresAt: view.expiresAt, type: 'public_key', jwkThumbprint: view.jwkThumbprint, jwksUrl: view.jwksUrl },
          },
        ]);
        return credential;
      });
      return reply.code(201).send(credentialView(ctx, row));
    }

    const created = await ctx.audit.transaction(async (trx) => {
      const credential = await createCredential(ctx, trx, account.id, body.expiresInDays);
      const response = { ...credentialView(ctx, credential.row), clientSecret: credential.secret };
      await storeResponse(ctx, trx, request, 201, response);
      await ctx.audit.writeInTransaction(trx, [
        {
          actor: adminActor(request),
          action: 'credential.created',
          target: { type: 'credential', id: credential.row.id },
          source: sourceOf(request),
          outcome: 'success',
          details: { accountId: account.id, expiresAt: timestamp(credential.row.expires_at) },
        },
      ]);
      return response;
    });
    return reply.code(201).send(created);
  });

  app.delete('/service-accounts/:id/credentials/:credentialId', { schema: { params: CredentialParams } }, async (request) => {
    requireAccountManager(request);
    const credential = await requireCredential(ctx, request);
    await requireAccountInScope(ctx, request, credential.account_id, true);
    if (credential.revoked_at !== null) return credentialView(ctx, credential);

    const revokedAt = ctx.clock.now();
    await ctx.audit.transaction(async (trx) => {
      await setCredentialRevoked(trx, credential.id, revokedAt);
      await appendRevocations(trx, [{ kind: 'credential', accountId: credential.account_id, credentialId: credential.id, effectiveAt: revokedAt }], revokedAt);
      await ctx.audit.writeInTransaction(trx, [
        { actor: adminActor(request), action: 'credential.revoked', target: { type: 'credential', id: credential.id }, source: sourceOf(request), outcome: 'success', details: { accountId: credential.account_id } },
      ]);
    });
    return credentialView(ctx, { ...credential, revoked_at: revokedAt });
  });

  app.post('/service-accounts/:id/credentials/:credentialId/rotate', { schema: { params: CredentialParams, body: Type.Optional(RotateBody), headers: IdempotencyHeaders } }, async (request, reply) => {
    requireAccountManager(request);
    const old = await requireCredential(ctx, request);
    await requireAccountInScope(ctx, request, old.account_id, true);
    // A replay comes before the liveness checks, because the first rotation made the old credential ineligible.
    if (await replayOrClaim(ctx, request, reply)) return reply;
    const body = (request.body ?? {}) as { gracePeriodSeconds?: number; expiresInDays?: number | null };
    const now = ctx.clock.now();

    if (old.kind === 'public_key') {
      throw new RequestError(
        'credential_not_rotatable',
        `Credential "${old.id}" is a public key, whose private half only the client holds; register the new key with POST /api/v1/service-accounts/${old.account_id}/credentials, move the client to it, then revoke this one.`,
      );
    }

    if (credentialStatus(old, now) !== 'active') {
      throw new RequestError('credential_not_live', `Credential "${old.id}" is ${credentialStatus(old, now)}, so it cannot be rotated; create a new credential with POST /api/v1/service-accounts/${old.account_id}/credentials.`);
    }

    if (old.replaced_by !== null) {
      throw new RequestError(
        'credential_already_rotated',
        `Credential "${old.id}" was already rotated and replaced by "${old.replaced_by}"; rotate that one instead, or revoke this one to end its grace period now.`,
      );
    }

    const graceSeconds = body.gracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    const oldExpiresAt = Math.min(Number(old.expires_at ?? Number.POSITIVE_INFINITY), now + graceSeconds * 1000);

    const created = await ctx.audit.transaction(async (trx) => {
      const days = body.expiresInDays === undefined ? inheritedLifetimeDays(old, await ctx.policies.current(trx)) : body.expiresInDays;
      const credential = await createCredential(ctx, trx, old.account_id, days, { replacing: old.id });
      await setCredentialReplaced(trx, old.id, oldExpiresAt, credential.row.id);
      await appendRevocations(trx, [{ kind: 'credential', accountId: old.account_id, credentialId: old.id, effectiveAt: oldExpiresAt }], now);
      await ctx.audit.writeInTransaction(trx, [
        {
          actor: adminActor(request),
          action: 'credential.rotated',
          target: { type: 'credential', id: old.id },
          source: sourceOf(request),
          outcome: 'success',
          details: { accountId: old.account_id, newCredentialId: credential.row.id, gracePeriodSeconds: graceSeconds, before: { expiresAt: timestamp(old.expires_at) }, after: { expiresAt: timestamp(oldExpiresAt) } },
        },
      ]);
      const response = { ...credentialView(ctx, credential.row), clientSecret: credential.secret, previous: credentialView(ctx, { ...old, expires_at: oldExpiresAt }) };
      await storeResponse(ctx, trx, request, 201, response);
      return response;
    });

    return reply.code(201).send(created);
  });
}
