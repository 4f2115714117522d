import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import type { ServerContext } from '../context.js';
import { findAccountByClientId, findAccountByName } from '../storage/accounts.js';
import { findAdminByUsername } from '../storage/admins.js';
import { type AuditFilter, findAuditEvent, queryAuditEvents } from '../storage/audit.js';
import { instanceScope } from './permissions.js';
import { findInstance } from '../storage/instances.js';
import { durableRows } from '../audit/durable-rows.js';
import { auditEventViews } from './audit-view.js';
import { decodeCursor, encodeCursor, parseLimit } from './paging.js';
import { PageQuery, StringEnum } from './schemas.js';

const FilterFields = {
  account: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  instance: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  outcome: Type.Optional(StringEnum(['success', 'failure'] as const)),
  from: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  to: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
};

const AuditQuery = Type.Object({ ...FilterFields, ...PageQuery }, { additionalProperties: false });
const ExportQuery = Type.Object({ ...FilterFields, format: Type.Optional(StringEnum(['jsonl', 'csv'] as const)) }, { additionalProperties: false });

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function parseTime(raw: string | undefined, field: string): number | undefined {
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  const [year, month, day] = raw.slice(0, 10).split('-').map(Number);
  // Date.parse rolls 2026-02-30 over to March; a date that does not exist is a typo.
  const dayExists = new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
  if (!RFC3339.test(raw) || Number.isNaN(ms) || !dayExists) {
    throw new RequestError('validation_failed', `${field} "${raw.slice(0, 40)}" is not an RFC 3339 timestamp; use a form such as 2026-01-31T00:00:00Z.`, field);
  }
  return ms;
}

function isSeqCursor(value: unknown): value is { seq: number } {
  const seq = (value as { seq?: unknown } | null)?.seq;
  return Number.isInteger(seq) && (seq as number) > 0;
}

interface AuditParameters {
  account?: string;
  actor?: string;
  action?: string;
  target?: string;
  instance?: string;
  outcome?: 'success' | 'failure';
  from?: string;
  to?: string;
  limit?: string;
  cursor?: string;
  format?: 'jsonl' | 'csv';
}

/**
 * Resolves the actor and instance filters, which accept names as well as ids: an admin's
 * username, an account's name or client id, an instance's slug. An unknown instance is an
 * error; an unknown actor is taken as an id, since deleted accounts keep their events.
 */
async function resolveNames(ctx: ServerContext, query: AuditParameters): Promise<AuditParameters> {
  const resolved = { ...query };
  if (query.instance) {
    const instance = await findInstance(ctx.db, query.instance);
    if (!instance) throw new RequestError('validation_failed', `instance "${query.instance}" is not a known instance slug or id.`, 'instance');
    resolved.instance = instance.id;
  }
  if (query.actor) {
    const admin = await findAdminByUsername(ctx.db, query.actor);
    const account = admin ? undefined : ((await findAccountByName(ctx.db, query.actor)) ?? (await findAccountByClientId(ctx.db, query.actor)));
    resolved.actor = admin?.id ?? account?.id ?? query.actor;
  }
  return resolved;
}

/** Turns the query parameters into a filter, checking the time range. */
function auditFilter(query: AuditParameters): Omit<AuditFilter, 'limit'> {
  if (query.action?.includes('*') && !/^[a-z_]+\.\*$/.test(query.action)) {
    throw new RequestError('validation_failed', `action "${query.action.slice(0, 100)}" is not a valid filter; give an exact action such as credential.revoked, or a prefix followed by .* such as credential.*.`, 'action');
  }
  const from = parseTime(query.from, 'from');
  const to = parseTime(query.to, 'to');
  if (from !== undefined && to !== undefined && from >= to) {
    throw new RequestError('validation_failed', 'from must be earlier than to.', 'from');
  }
  return { accountId: query.account, actorId: query.actor, action: query.action, targetId: query.target, instanceId: query.instance, outcome: query.outcome, from, to };
}

const CSV_COLUMNS = ['id', 'occurredAt', 'actorType', 'actorId', 'actorName', 'credentialId', 'action', 'targetType', 'targetId', 'targetName', 'instanceId', 'sourceIp', 'userAgent', 'outcome', 'reason', 'details', 'hash'];

/** Quotes a CSV cell, and defuses values that a spreadsheet would run as a formula. */
export function csvCell(value: unknown): string {
  let text = '';
  if (typeof value === 'string') text = value;
  else if (value !== null && value !== undefined) text = JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvRow(event: Awaited<ReturnType<typeof auditEventViews>>[number]): string {
  const cells = [
    event.id,
    event.occurredAt,
    event.actor.type,
    event.actor.id,
    event.actor.name,
    event.actor.credentialId,
    event.action,
    event.target?.type,
    event.target?.id,
    event.target?.name,
    event.instanceId,
    event.source.ip,
    event.source.userAgent,
    event.outcome,
    event.reason,
    event.details,
    event.hash,
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

const EXPORT_PAGE = 500;

export async function auditEventRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get('/audit-events', { schema: { querystring: AuditQuery } }, async (request) => {
    const query = await resolveNames(ctx, request.query as AuditParameters);
    const limit = parseLimit(query.limit);
    const cursor = decodeCursor(query.cursor, isSeqCursor);

    const rows = await queryAuditEvents(ctx.db, { ...auditFilter(query), withinInstances: instanceScope(request), beforeSeq: cursor?.seq, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { items: await auditEventViews(ctx.db, page), nextCursor: rows.length > limit && last ? encodeCursor({ seq: Number(last.seq) }) : null };
  });

  app.get('/audit-events/export', { schema: { querystring: ExportQuery } }, async (request, reply) => {
    const query = await resolveNames(ctx, request.query as AuditParameters);
    const format = query.format ?? 'jsonl';
    const filter = { ...auditFilter(query), withinInstances: instanceScope(request) };
    const db = ctx.db;

    // Pages through the filtered events newest first, so memory stays constant whatever the count.
    async function* lines() {
      if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
      let beforeSeq: number | undefined;
      for (;;) {
        const rows = await queryAuditEvents(db, { ...filter, beforeSeq, limit: EXPORT_PAGE });
        // An export is a copy out of the database, like a sink, so it leaves out events not yet durable.
        const durable = durableRows(rows, ctx.audit.firstUnsyncedSeq);
        for (const event of await auditEventViews(db, durable)) yield format === 'csv' ? csvRow(event) : `${JSON.stringify(event)}\n`;
        if (rows.length < EXPORT_PAGE) return;
        beforeSeq = Number(rows.at(-1)!.seq);
      }
    }

    const stamp = new Date(ctx.clock.now()).toISOString().slice(0, 19).replace(/[:T]/g, '-');
    reply
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="tessera-audit-${stamp}.${format}"`)
      .header('cache-control', 'no-store');
    return reply.send(Readable.from(lines()));
  });

  app.get('/audit-events/:id', { schema: { params: Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) }, { additionalProperties: false }) } }, async (request) => {
    const { id } = request.params as { id: string };
    const row = await findAuditEvent(ctx.db, Number(id));
    const scope = instanceScope(request);
    if (row && scope) {
      const visible = await queryAuditEvents(ctx.db, { withinInstances: scope, beforeSeq: Number(id) + 1, limit: 1 });
      if (visible[0]?.seq === undefined || Number(visible[0].seq) !== Number(id)) {
        throw new RequestError('forbidden', `Audit event ${id} is not about an instance assigned to you or its accounts; ask an admin.`);
      }
    }
    if (!row) throw new RequestError('not_found', `No audit event has the id ${id}; ids come from GET /api/v1/audit-events.`);
    return (await auditEventViews(ctx.db, [row]))[0];
  });
}
