import { instanceScope, requireAccountInScope } from './permissions.js';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { webhookSigningSecret } from '../notify/signature.js';
import { findDelivery, listDeliveries } from '../storage/notification-deliveries.js';
import type { NotificationDeliveryRow } from '../storage/tables.js';
import { requireAccount } from './account-store.js';
import { adminActor, requireRole } from './auth.js';
import { deliveryView } from './notification-views.js';
import { decodeCursor, encodeCursor, parseLimit } from './paging.js';
import { IdParams, NoQuery, PageQuery, StringEnum } from './schemas.js';

const DeliveryStatus = StringEnum(['pending', 'delivered', 'failed'] as const);

const DeliveryQuery = Type.Object(
  { accountId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), status: Type.Optional(DeliveryStatus), ...PageQuery },
  { additionalProperties: false },
);

const AccountDeliveryQuery = Type.Object({ status: Type.Optional(DeliveryStatus), ...PageQuery }, { additionalProperties: false });

interface DeliveryParameters {
  accountId?: string;
  status?: NotificationDeliveryRow['status'];
  limit?: string;
  cursor?: string;
}

interface DeliveryCursor {
  createdAt: number;
  id: string;
}

function isDeliveryCursor(value: unknown): value is DeliveryCursor {
  const cursor = value as Partial<DeliveryCursor> | null;
  return typeof cursor?.createdAt === 'number' && typeof cursor.id === 'string';
}

async function deliveryPage(ctx: ServerContext, query: DeliveryParameters) {
  const limit = parseLimit(query.limit);
  const after = decodeCursor(query.cursor, isDeliveryCursor);
  const rows = await listDeliveries(ctx.db, { accountId: query.accountId, status: query.status, after, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => deliveryView(row)),
    nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: Number(last.created_at), id: last.id }) : null,
  };
}

function notFound(id: string): RequestError {
  return new RequestError('not_found', `No notification delivery has the id "${id}"; list them with GET /api/v1/notifications/deliveries.`);
}

/** Delivery history of expiry and dormancy notifications, retries, and the webhook signing secret. */
export async function notificationRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get('/notifications/deliveries', { schema: { querystring: DeliveryQuery } }, async (request) => {
    const query = request.query as DeliveryParameters;
    // An instance-admin reads the deliveries of one account at a time, one of its own.
    if (instanceScope(request)) {
      if (!query.accountId) throw new RequestError('forbidden', 'An instance-admin lists deliveries per account; add accountId with an account of your instances.');
      await requireAccountInScope(ctx, request, query.accountId, false);
    }
    return deliveryPage(ctx, query);
  });

  app.get('/service-accounts/:id/notifications', { schema: { params: IdParams, querystring: AccountDeliveryQuery } }, async (request) => {
    const account = await requireAccount(ctx, (request.params as { id: string }).id);
    await requireAccountInScope(ctx, request, account.id, false);
    return deliveryPage(ctx, { ...(request.query as DeliveryParameters), accountId: account.id });
  });

  app.post('/notifications/deliveries/:id/retry', { schema: { params: IdParams, body: Type.Object({}, { additionalProperties: false }) } }, async (request: FastifyRequest) => {
    requireRole(request, 'admin');
    const id = (request.params as { id: string }).id;
    const before = await findDelivery(ctx.db, id);
    if (!before) throw notFound(id);
    if (before.status !== 'failed') {
      throw new RequestError('delivery_not_failed', `The delivery is ${before.status}; only a failed delivery can be retried. Pending ones are retried by the scheduler.`);
    }

    const after = await ctx.notifications.retryNow(id);
    if (!after) throw new RequestError('delivery_not_failed', 'Another request retried the delivery at the same time; reload it to see the result.');
    await ctx.audit.write({
      actor: adminActor(request),
      action: 'notification.retried',
      target: { type: 'notification_delivery', id },
      source: sourceOf(request),
      outcome: after.status === 'delivered' ? 'success' : 'failure',
      reason: after.status === 'delivered' ? null : 'delivery_failed',
      details: { accountId: after.account_id, event: after.event_type, channel: after.channel, attempts: after.attempts, status: after.status, lastError: after.last_error },
    });
    return deliveryView(after);
  });

  app.get('/notifications/signing-secret', { schema: { querystring: NoQuery } }, async (request, reply) => {
    requireRole(request, 'admin');
    const { secret, source } = webhookSigningSecret(ctx);
    await ctx.audit.write({ actor: adminActor(request), action: 'notification.signing_secret_read', source: sourceOf(request), outcome: 'success', details: { source } });
    reply.header('cache-control', 'no-store');
    return { secret, source, header: 'Tessera-Signature', scheme: 'v1' };
  });
}
