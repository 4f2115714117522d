import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { newId } from '../crypto/secrets.js';
import { type FederationInput, sameRule, validateFederation } from '../federation/rules.js';
import { federationsByIssuer, federationsOf, findFederation, insertFederation, setFederationRevoked } from '../storage/federations.js';
import { appendRevocations } from '../storage/revocations.js';
import type { FederationRow } from '../storage/tables.js';
import { requireAccount } from './account-store.js';
import { adminActor } from './auth.js';
import { requireAccountInScope, requireAccountManager } from './permissions.js';
import { IdParams, NoQuery } from './schemas.js';
import { federationView } from './views.js';

const FederationParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 200 }), federationId: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

const FederationBody = Type.Object(
  {
    issuer: Type.String({ minLength: 1, maxLength: 2000 }),
    jwksUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    subjectPattern: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    audience: Type.String({ minLength: 1, maxLength: 2000 }),
    claims: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);

/** What the audit event records of a rule: everything that decides which tokens it accepts. */
function ruleDetails(row: FederationRow) {
  return { accountId: row.account_id, issuer: row.issuer, jwksUrl: row.jwks_url, subject: row.subject, subjectPattern: row.subject_pattern, audience: row.audience, claims: JSON.parse(row.claims) };
}

async function requireFederation(ctx: ServerContext, request: FastifyRequest, change: boolean): Promise<FederationRow> {
  const { id, federationId } = request.params as { id: string; federationId: string };
  await requireAccount(ctx, id);
  await requireAccountInScope(ctx, request, id, change);
  const federation = await findFederation(ctx.db, id, federationId);
  if (!federation) throw new RequestError('not_found', `The account has no federation with the id "${federationId}"; list them with GET /api/v1/service-accounts/${id}/federations.`);
  return federation;
}

/**
 * Federated identities of a service account: trust rules under which it accepts tokens of an
 * outside workload identity issuer in the jwt-bearer grant. DELETE revokes a rule; revoked
 * rules stay listed, like revoked credentials, and tokens obtained through them turn inactive.
 */
export async function federationRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get('/service-accounts/:id/federations', { schema: { params: IdParams, querystring: NoQuery } }, async (request) => {
    const account = await requireAccount(ctx, (request.params as { id: string }).id);
    await requireAccountInScope(ctx, request, account.id, false);
    const rows = await federationsOf(ctx.db, account.id);
    return { items: rows.map((row) => federationView(ctx, row)), nextCursor: null };
  });

  app.get('/service-accounts/:id/federations/:federationId', { schema: { params: FederationParams } }, async (request) => federationView(ctx, await requireFederation(ctx, request, false)));

  app.post('/service-accounts/:id/federations', { schema: { params: IdParams, body: FederationBody } }, async (request, reply) => {
    requireAccountManager(request);
    const account = await requireAccount(ctx, (request.params as { id: string }).id);
    await requireAccountInScope(ctx, request, account.id, true);
    const rule = validateFederation(request.body as FederationInput, ctx.config.allowInsecureJwksUrls);

    const row: FederationRow = {
      id: newId(),
      account_id: account.id,
      issuer: rule.issuer,
      jwks_url: rule.jwksUrl,
      subject: rule.subject,
      subject_pattern: rule.subjectPattern,
      audience: rule.audience,
      claims: JSON.stringify(rule.claims),
      created_at: ctx.clock.now(),
      revoked_at: null,
      last_used_at: null,
      last_used_ip: null,
    };

    await ctx.audit.transaction(async (trx) => {
      // Two live rules that accept the same tokens would make every exchange ambiguous, and so refused.
      const twin = (await federationsByIssuer(trx, rule.issuer)).find((existing) => existing.revoked_at === null && sameRule(existing, rule));
      if (twin) {
        // Another account's rule is named only by its account's admins, who may not be this caller.
        const which = twin.account_id === account.id ? `Federation "${twin.id}" of this account` : 'A federation of another account';
        throw new RequestError(
          'federation_exists',
          `${which} already accepts the same tokens (same issuer, subject, audience and claims); two such rules make every exchange ambiguous. Revoke that one first, or narrow this rule.`,
        );
      }
      await insertFederation(trx, row);
      await ctx.audit.writeInTransaction(trx, [
        { actor: adminActor(request), action: 'federation.created', target: { type: 'federation', id: row.id }, source: sourceOf(request), outcome: 'success', details: ruleDetails(row) },
      ]);
    });
    return reply.code(201).send(federationView(ctx, row));
  });

  app.delete('/service-accounts/:id/federations/:federationId', { schema: { params: FederationParams } }, async (request) => {
    requireAccountManager(request);
    const federation = await requireFederation(ctx, request, true);
    if (federation.revoked_at !== null) return federationView(ctx, federation);

    const revokedAt = ctx.clock.now();
    await ctx.audit.transaction(async (trx) => {
      await setFederationRevoked(trx, federation.id, revokedAt);
      // Tokens obtained through the rule carry its id as credential_id, so the feed entry reaches them.
      await appendRevocations(trx, [{ kind: 'credential', accountId: federation.account_id, credentialId: federation.id, effectiveAt: revokedAt }], revokedAt);
      await ctx.audit.writeInTransaction(trx, [
        { actor: adminActor(request), action: 'federation.revoked', target: { type: 'federation', id: federation.id }, source: sourceOf(request), outcome: 'success', details: ruleDetails(federation) },
      ]);
    });
    return federationView(ctx, { ...federation, revoked_at: revokedAt });
  });
}
