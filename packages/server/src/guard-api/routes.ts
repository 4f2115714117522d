import { Type } from '@sinclair/typebox';
import { MAX_USAGE_EVENTS_PER_REQUEST, USAGE_FIELD_LIMITS } from '@tessera/shared';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import { decodeUtf8, parseStrictJson } from '../admin-api/strict-json.js';
import { timestamp } from '../admin-api/views.js';
import type { AuditEventInput } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { type AuthenticatedClient, authenticateClient, extractClientCredentials } from '../oauth/client-auth.js';
import { OAuthError } from '../oauth/errors.js';
import { DATABASE_RETRY_AFTER_SECONDS, sendOAuthError } from '../oauth/routes.js';
import { normaliseAudience } from '../oauth/token/select-grant.js';
import { findGrant, grantsOf } from '../storage/accounts.js';
import { isDatabaseUnavailable } from '../storage/database.js';
import { findInstanceByAudience } from '../storage/instances.js';
import { latestRevocationSeq, revocationsSince } from '../storage/revocations.js';
import type { RevocationRow } from '../storage/tables.js';
import { guardSeatRoute } from './seats.js';

const FEED_PAGE = 1000;
const MAX_USAGE_EVENTS = MAX_USAGE_EVENTS_PER_REQUEST;
const LIMITS = USAGE_FIELD_LIMITS;
const USAGE_BODY_LIMIT = 512 * 1024;

const UsageEvent = Type.Object(
  {
    accountId: Type.String({ minLength: 1, maxLength: 100 }),
    credentialId: Type.String({ minLength: 1, maxLength: 100 }),
    tokenId: Type.String({ minLength: 1, maxLength: 100 }),
    method: Type.String({ minLength: 1, maxLength: LIMITS.method }),
    route: Type.String({ minLength: 1, maxLength: LIMITS.route }),
    status: Type.Integer({ minimum: 100, maximum: 599 }),
    resource: Type.Union([Type.Null(), Type.Object({ type: Type.String({ minLength: 1, maxLength: LIMITS.resourceType }), id: Type.String({ minLength: 1, maxLength: LIMITS.resourceId }) }, { additionalProperties: false })]),
    occurredAt: Type.String({ minLength: 20, maxLength: 40 }),
  },
  { additionalProperties: false },
);

const UsageBody = Type.Object(
  {
    audience: Type.String({ minLength: 1, maxLength: 2000 }),
    events: Type.Array(UsageEvent, { maxItems: MAX_USAGE_EVENTS }),
  },
  { additionalProperties: false },
);

interface UsageReport {
  audience: string;
  events: {
    accountId: string;
    credentialId: string;
    tokenId: string;
    method: string;
    route: string;
    status: number;
    resource: { type: string; id: string } | null;
    occurredAt: string;
  }[];
}

function feedItem(row: RevocationRow) {
  switch (row.kind) {
    case 'credential':
      return { kind: row.kind, accountId: row.account_id, credentialId: row.credential_id, effectiveAt: timestamp(row.effective_at) };
    case 'account':
      return { kind: row.kind, accountId: row.account_id, generation: row.generation };
    case 'account_deleted':
      return { kind: row.kind, accountId: row.account_id };
    case 'token':
      return { kind: row.kind, tokenId: row.token_id, expiresAt: timestamp(row.expires_at) };
  }
}

async function authenticateBasic(ctx: ServerContext, request: FastifyRequest): Promise<AuthenticatedClient> {
  return authenticateClient(ctx, extractClientCredentials(request.headers.authorization, new Map()), request.ip);
}

/**
 * Endpoints for resource servers that embed guard, authenticated with the product's own
 * service account over HTTP Basic: the revocation feed, usage reports and seat counts.
 */
export async function guardRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: USAGE_BODY_LIMIT }, (request, body, done) => {
    try {
      done(null, parseStrictJson(decodeUtf8(body as Buffer, request.headers['content-type'])));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.setErrorHandler((error: FastifyError & { validation?: unknown[] }, request, reply) => {
    if (error instanceof OAuthError) return sendOAuthError(reply, error);
    if (error instanceof RequestError) return sendOAuthError(reply, new OAuthError('invalid_request', error.message));
    if (error.validation) return sendOAuthError(reply, new OAuthError('invalid_request', `The body is invalid: ${error.message}.`));
    if (isDatabaseUnavailable(error)) {
      const unavailable = new OAuthError('temporarily_unavailable', 'The server cannot reach its database; retry after a few seconds.');
      unavailable.retryAfter = DATABASE_RETRY_AFTER_SECONDS;
      return sendOAuthError(reply, unavailable);
    }
    if (error.statusCode && error.statusCode < 500) return sendOAuthError(reply, new OAuthError('invalid_request', error.message), error.statusCode);
    request.log.error({ err: error }, 'guard API request failed');
    return sendOAuthError(reply, new OAuthError('server_error', 'An unexpected error occurred; retry later.'));
  });

  app.get('/guard/v1/revocations', { schema: { querystring: Type.Object({ since: Type.Optional(Type.String({ maxLength: 20 })) }, { additionalProperties: false }) } }, async (request, reply) => {
    const caller = await authenticateBasic(ctx, request);
    const callerInstances = new Set((await grantsOf(ctx.db, [caller.account.id])).map((grant) => grant.instance_id));
    if (callerInstances.size === 0) {
      throw new OAuthError('access_denied', 'This client has no grant on any instance, so it serves no tokens and may not read the revocation feed.');
    }

    const since = (request.query as { since?: string }).since;
    if (since !== undefined && !/^[0-9]{1,15}$/.test(since)) {
      throw new OAuthError('invalid_request', 'since must be a nextCursor value from an earlier response.');
    }

    const afterSeq = since === undefined ? 0 : Number(since);
    const rows = await revocationsSince(ctx.db, afterSeq, ctx.clock.now(), FEED_PAGE);
    // With nothing new, the cursor stays put; a first request without one starts at the newest entry.
    let nextSeq = afterSeq;
    if (rows.length > 0) nextSeq = Number(rows.at(-1)!.seq);
    else if (since === undefined) nextSeq = await latestRevocationSeq(ctx.db);
    // A product receives only entries about accounts with grants on its own instances, and
    // its cursor still moves past the rest.
    const visible = rows.filter((row) => row.instance_ids === null || (JSON.parse(row.instance_ids) as string[]).some((id) => callerInstances.has(id)));
    reply.header('cache-control', 'no-store');
    return { items: visible.map(feedItem), nextCursor: String(nextSeq) };
  });

  app.post('/guard/v1/usage', { schema: { body: UsageBody } }, async (request, reply) => {
    const caller = await authenticateBasic(ctx, request);
    const report = request.body as UsageReport;

    const instance = await findInstanceByAudience(ctx.db, normaliseAudience(report.audience));
    if (!instance || !(await findGrant(ctx.db, caller.account.id, instance.id))) {
      throw new OAuthError('access_denied', 'This client has no grant on that audience; report usage with the service account of that instance.');
    }

    const now = ctx.clock.now();
    const events: AuditEventInput[] = [];
    let rejected = 0;

    // A report usually names a few accounts many times, so each account's grant is read once.
    const granted = new Map<string, boolean>();
    const hasGrant = async (accountId: string) => {
      if (!granted.has(accountId)) granted.set(accountId, (await findGrant(ctx.db, accountId, instance.id)) !== undefined);
      return granted.get(accountId) === true;
    };

    for (const event of report.events) {
      const occurredAt = Date.parse(event.occurredAt);
      if (Number.isNaN(occurredAt) || !(await hasGrant(event.accountId))) {
        rejected += 1;
        continue;
      }
      events.push({
        actor: { type: 'service_account', id: event.accountId, credentialId: event.credentialId },
        action: 'api.request',
        target: event.resource,
        instanceId: instance.id,
        outcome: event.status < 400 ? 'success' : 'failure',
        details: { method: event.method, route: event.route, status: event.status, tokenId: event.tokenId, occurredAt: event.occurredAt, reportedBy: caller.account.id },
      });
      ctx.lastUsed.record({ accountId: event.accountId, credentialId: event.credentialId, at: Math.min(occurredAt, now), ip: null });
    }

    if (events.length > 0) await ctx.audit.transaction((trx) => ctx.audit.writeInTransaction(trx, events));
    return reply.code(202).send({ accepted: events.length, rejected });
  });

  guardSeatRoute(app, ctx);
}
