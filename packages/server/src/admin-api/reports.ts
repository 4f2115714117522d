import { instanceScope } from './permissions.js';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import { DAY_MS } from '../clock.js';
import type { ServerContext } from '../context.js';
import { daysUntil } from '../notify/events.js';
import { listAccounts, sortValueOf } from '../storage/accounts.js';
import { listExpiringCredentials } from '../storage/expiring-credentials.js';
import { decodeCursor, encodeCursor, parseLimit } from './paging.js';
import { PageQuery, StringEnum } from './schemas.js';
import { timestamp } from './views.js';

const DayCount = Type.String({ pattern: '^[0-9]{1,4}$' });

const ExpiringQuery = Type.Object({ withinDays: Type.Optional(DayCount), ...PageQuery }, { additionalProperties: false });
const UnusedQuery = Type.Object({ days: Type.Optional(DayCount), status: Type.Optional(StringEnum(['active', 'disabled'] as const)), ...PageQuery }, { additionalProperties: false });

/** Reads a day count from 1 to 3650, naming the parameter when it is out of range. */
function parseDays(raw: string | undefined, field: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const days = Number(raw);
  if (days < 1 || days > 3650) throw new RequestError('validation_failed', `${field} must be a whole number of days from 1 to 3650; got "${raw}".`, field);
  return days;
}

function isExpiryCursor(value: unknown): value is { expiresAt: number; id: string } {
  const cursor = value as { expiresAt?: unknown; id?: unknown } | null;
  return typeof cursor?.expiresAt === 'number' && typeof cursor.id === 'string';
}

function isUnusedCursor(value: unknown): value is { value: number; id: string } {
  const cursor = value as { value?: unknown; id?: unknown } | null;
  return typeof cursor?.value === 'number' && typeof cursor.id === 'string';
}

/** Lists that help admins act before something breaks: credentials about to expire, accounts that request no tokens. */
export async function reportRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get('/reports/expiring-credentials', { schema: { querystring: ExpiringQuery } }, async (request) => {
    const query = request.query as { withinDays?: string; limit?: string; cursor?: string };
    const withinDays = parseDays(query.withinDays, 'withinDays', 30);
    const limit = parseLimit(query.limit);
    const after = decodeCursor(query.cursor, isExpiryCursor);
    const now = ctx.clock.now();

    const rows = await listExpiringCredentials(ctx.db, { now, before: now + withinDays * DAY_MS, after, withinInstances: instanceScope(request), limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => {
        const usedAt = Math.max(Number(row.last_used_at ?? 0), ctx.lastUsed.pendingForCredential(row.id)?.at ?? 0);
        return {
          credentialId: row.id,
          accountId: row.account_id,
          accountName: row.account_name,
          accountStatus: row.account_status,
          owner: row.account_owner,
          createdAt: timestamp(row.created_at),
          expiresAt: timestamp(row.expires_at),
          daysLeft: daysUntil(Number(row.expires_at), now),
          lastUsedAt: usedAt > 0 ? timestamp(usedAt) : null,
        };
      }),
      nextCursor: rows.length > limit && last ? encodeCursor({ expiresAt: Number(last.expires_at), id: last.id }) : null,
    };
  });

  app.get('/reports/unused-accounts', { schema: { querystring: UnusedQuery } }, async (request) => {
    const query = request.query as { days?: string; status?: 'active' | 'disabled'; limit?: string; cursor?: string };
    const days = parseDays(query.days, 'days', 90);
    const limit = parseLimit(query.limit);
    const after = decodeCursor(query.cursor, isUnusedCursor);
    const now = ctx.clock.now();

    // The filter reads last-used times from the database, so write this node's pending ones first.
    await ctx.lastUsed.flush();
    const rows = await listAccounts(ctx.db, { now, idleSince: now - days * DAY_MS, status: query.status, withinInstances: instanceScope(request), sort: 'lastUsedAt', after, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => {
        const idleSince = Number(row.last_used_at ?? row.created_at);
        return {
          id: row.id,
          clientId: row.client_id,
          name: row.name,
          owner: row.owner,
          status: row.status,
          createdAt: timestamp(row.created_at),
          lastUsedAt: timestamp(row.last_used_at),
          unusedDays: Math.floor((now - idleSince) / DAY_MS),
          dormantSince: timestamp(row.dormant_since),
        };
      }),
      nextCursor: rows.length > limit && last ? encodeCursor({ value: Number(sortValueOf(last, 'lastUsedAt')), id: last.id }) : null,
    };
  });
}
