import { requireAccountInScope } from './permissions.js';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import type { ServerContext } from '../context.js';
import { countTokenRequestsPerDay } from '../storage/audit.js';
import { requireAccount } from './account-store.js';
import { IdParams } from './schemas.js';
import { DAY_MS } from '../clock.js';

const UsageQuery = Type.Object({ days: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })) }, { additionalProperties: false });

/** Token requests of one account per UTC day, from the audit log, for the panel's activity chart. */
export async function accountUsageRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get('/service-accounts/:id/token-usage', { schema: { params: IdParams, querystring: UsageQuery } }, async (request) => {
    const account = await requireAccount(ctx, (request.params as { id: string }).id);
    await requireAccountInScope(ctx, request, account.id, false);
    const rawDays = (request.query as { days?: string }).days;
    const days = rawDays === undefined ? 30 : Number(rawDays);
    if (days < 1 || days > 90) throw new RequestError('validation_failed', `days must be a whole number from 1 to 90; got "${rawDays}".`, 'days');

    const todayStart = Math.floor(ctx.clock.now() / DAY_MS) * DAY_MS;
    const firstDay = todayStart - (days - 1) * DAY_MS;
    const buckets = Array.from({ length: days }, (_, index) => ({ date: new Date(firstDay + index * DAY_MS).toISOString().slice(0, 10), issued: 0, refused: 0 }));

    for (const row of await countTokenRequestsPerDay(ctx.db, account.id, firstDay)) {
      const bucket = buckets[row.day - firstDay / DAY_MS];
      if (!bucket) continue;
      if (row.action === 'token.issued') bucket.issued += row.count;
      else bucket.refused += row.count;
    }
    return { items: buckets, nextCursor: null };
  });
}
