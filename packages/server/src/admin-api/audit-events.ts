import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import type { ServerContext } from '../context.js';
import { queryAuditEvents } from '../storage/audit.js';
import type { AuditEventRow } from '../storage/tables.js';
import { decodeCursor, encodeCursor, parseLimit } from './paging.js';
import { PageQuery, StringEnum } from './schemas.js';
import { timestamp } from './views.js';

const AuditQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    instance: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    outcome: Type.Optional(StringEnum(['success', 'failure'] as const)),
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function parseTime(raw: string | undefined, field: string): number | undefined {
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (!RFC3339.test(raw) || Number.isNaN(ms)) {
    throw new RequestError('validation_failed', `${field} "${raw.slice(0, 40)}" is not an RFC 3339 timestamp; use a form such as 2026-01-31T00:00:00Z.`, field);
  }
  return ms;
}

function isSeqCursor(value: unknown): value is { seq: number } {
  return Number.isInteger((value as { seq?: unknown } | null)?.seq);
}

export function auditEventView(row: AuditEventRow) {
  return {
    id: String(row.seq),
    occurredAt: timestamp(row.occurred_at),
    actor: { type: row.actor_type, id: row.actor_id, credentialId: row.credential_id },
    action: row.action,
    target: row.target_type ? { type: row.target_type, id: row.target_id } : null,
    instanceId: row.instance_id,
    source: { ip: row.source_ip, userAgent: row.user_agent },
    outcome: row.outcome,
    reason: row.reason,
    details: row.details ? JSON.parse(row.details) : null,
    hash: row.hash,
  };
}

export async function auditEventRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get('/audit-events', { schema: { querystring: AuditQuery } }, async (request) => {
    const query = request.query as Record<string, string | undefined>;
    const limit = parseLimit(query.limit);
    const cursor = decodeCursor(query.cursor, isSeqCursor);
    const from = parseTime(query.from, 'from');
    const to = parseTime(query.to, 'to');
    if (from !== undefined && to !== undefined && from >= to) {
      throw new RequestError('validation_failed', 'from must be earlier than to.', 'from');
    }

    const rows = await queryAuditEvents(ctx.db, {
      actorId: query.actor,
      action: query.action,
      targetId: query.target,
      instanceId: query.instance,
      outcome: query.outcome as 'success' | 'failure' | undefined,
      from,
      to,
      beforeSeq: cursor?.seq,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { items: page.map(auditEventView), nextCursor: rows.length > limit && last ? encodeCursor({ seq: Number(last.seq) }) : null };
  });
}
