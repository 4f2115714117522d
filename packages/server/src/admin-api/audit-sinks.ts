import { rejectInstanceAdmin } from './permissions.js';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { newId } from '../crypto/secrets.js';
import { auditHeadSeq, deleteAuditSink, findAuditSink, findAuditSinkByName, insertAuditSink, listAuditSinks, updateAuditSinkSettings } from '../storage/audit-sinks.js';
import type { AuditSinkRow } from '../storage/tables.js';
import { CreateSinkBody, type SinkInput, UpdateSinkBody, sinkSettings, startCursor } from './audit-sink-input.js';
import { sinkConfigView, sinkView } from './audit-sink-view.js';
import { adminActor, requireRole } from './auth.js';
import { IdParams, NoQuery } from './schemas.js';

/** Prefix of webhook sink secrets, so that secret scanners and people can tell them apart. */
const SINK_SECRET_PREFIX = 'tsk_';

async function requireSink(ctx: ServerContext, id: string): Promise<AuditSinkRow> {
  const sink = await findAuditSink(ctx.db, id);
  if (!sink) throw new RequestError('not_found', `No audit sink has the id "${id}"; list audit sinks with GET /api/v1/audit-sinks.`);
  return sink;
}

async function ensureNameFree(ctx: ServerContext, name: string, exceptId?: string): Promise<void> {
  const holder = await findAuditSinkByName(ctx.db, name);
  if (holder && holder.id !== exceptId) throw new RequestError('audit_sink_name_taken', `name "${name}" is taken by another audit sink; choose another.`, 'name');
}

function auditEntry(request: FastifyRequest, action: string, sinkId: string, details: Record<string, unknown>) {
  return { actor: adminActor(request), action, target: { type: 'audit_sink', id: sinkId }, source: sourceOf(request), outcome: 'success' as const, details };
}

export async function auditSinkRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.addHook('onRequest', async (request) => rejectInstanceAdmin(request, 'Audit sinks'));

  app.get('/audit-sinks', { schema: { querystring: NoQuery } }, async () => {
    const [rows, head] = await Promise.all([listAuditSinks(ctx.db), auditHeadSeq(ctx.db)]);
    const now = ctx.clock.now();
    return { items: await Promise.all(rows.map((row) => sinkView(ctx.db, row, head, now))), nextCursor: null };
  });

  app.get('/audit-sinks/:id', { schema: { params: IdParams } }, async (request) => {
    const row = await requireSink(ctx, (request.params as { id: string }).id);
    return sinkView(ctx.db, row, await auditHeadSeq(ctx.db), ctx.clock.now());
  });

  app.post('/audit-sinks', { schema: { body: CreateSinkBody } }, async (request, reply) => {
    requireRole(request, 'admin');
    const body = request.body as SinkInput & { name: string; type: 'syslog' | 'webhook'; target: string };
    const settings = sinkSettings(body.type, body);
    await ensureNameFree(ctx, body.name);

    // Shown once in this response; only its encrypted form is stored.
    const secret = body.type === 'webhook' ? `${SINK_SECRET_PREFIX}${randomBytes(32).toString('base64url')}` : null;
    const now = ctx.clock.now();
    const row = await ctx.audit.transaction(async (trx) => {
      const created: AuditSinkRow = {
        id: newId(),
        name: body.name,
        type: body.type,
        settings: JSON.stringify(settings),
        secret: secret === null ? null : ctx.keyMaterial.encrypt(Buffer.from(secret, 'utf8')),
        enabled: body.enabled === false ? 0 : 1,
        // Read inside the audit lock, so no event can slip in between the head and the cursor.
        cursor_seq: startCursor(body.startFrom, await auditHeadSeq(trx)),
        failures: 0,
        next_attempt_at: null,
        last_attempt_at: null,
        last_delivered_at: null,
        last_error: null,
        lease_owner: null,
        lease_expires_at: null,
        created_at: now,
        updated_at: now,
      };
      await insertAuditSink(trx, created);
      await ctx.audit.writeInTransaction(trx, [auditEntry(request, 'audit_sink.created', created.id, { after: { ...sinkConfigView(created), startCursor: created.cursor_seq } })]);
      return created;
    });
    ctx.auditSinks.wake(true);

    const view = await sinkView(ctx.db, row, await auditHeadSeq(ctx.db), ctx.clock.now());
    return reply.code(201).send(secret === null ? view : { ...view, secret });
  });

  app.patch('/audit-sinks/:id', { schema: { params: IdParams, body: UpdateSinkBody } }, async (request) => {
    requireRole(request, 'admin');
    const before = await requireSink(ctx, (request.params as { id: string }).id);
    const body = request.body as SinkInput;
    const settings = sinkSettings(before.type, body, JSON.parse(before.settings));
    if (body.name !== undefined) await ensureNameFree(ctx, body.name, before.id);

    let enabled = before.enabled;
    if (body.enabled !== undefined) enabled = body.enabled ? 1 : 0;

    // Any change ends the backoff, so that a fixed target is tried at once.
    const after: AuditSinkRow = {
      ...before,
      name: body.name ?? before.name,
      settings: JSON.stringify(settings),
      enabled,
      failures: 0,
      next_attempt_at: null,
      updated_at: ctx.clock.now(),
    };
    await ctx.audit.transaction(async (trx) => {
      await updateAuditSinkSettings(trx, after);
      await ctx.audit.writeInTransaction(trx, [auditEntry(request, 'audit_sink.updated', after.id, { before: sinkConfigView(before), after: sinkConfigView(after) })]);
    });
    ctx.auditSinks.wake(true);

    const current = await requireSink(ctx, after.id);
    return sinkView(ctx.db, current, await auditHeadSeq(ctx.db), ctx.clock.now());
  });

  app.delete('/audit-sinks/:id', { schema: { params: IdParams } }, async (request, reply) => {
    requireRole(request, 'admin');
    const sink = await requireSink(ctx, (request.params as { id: string }).id);

    await ctx.audit.transaction(async (trx) => {
      await deleteAuditSink(trx, sink.id);
      await ctx.audit.writeInTransaction(trx, [auditEntry(request, 'audit_sink.deleted', sink.id, { before: { ...sinkConfigView(sink), cursor: Number(sink.cursor_seq) } })]);
    });
    return reply.code(204).send();
  });
}
