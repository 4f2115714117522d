import { rejectInstanceAdmin } from './permissions.js';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { CheckpointSigner, checkpointPayload } from '../audit/checkpoint-signing.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { listCheckpoints, readRetention, saveRetention } from '../storage/audit-checkpoints.js';
import type { AuditCheckpointRow } from '../storage/tables.js';
import { adminActor, requireRole } from './auth.js';
import { NoQuery } from './schemas.js';
import { timestamp } from './views.js';

const RetentionBody = Type.Object({ days: Type.Union([Type.Integer({ minimum: 1, maximum: 36_500 }), Type.Null()]) }, { additionalProperties: false });

function checkpointView(row: AuditCheckpointRow) {
  return {
    id: row.id,
    firstSeq: Number(row.first_seq),
    seq: Number(row.seq),
    hash: row.hash,
    prunedCount: Number(row.pruned_count),
    createdAt: timestamp(row.created_at),
    kid: row.key_id,
    signature: row.signature,
    signedPayload: checkpointPayload(row),
  };
}

export async function auditRetentionRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.addHook('onRequest', async (request) => rejectInstanceAdmin(request, 'Audit retention and checkpoints'));

  app.get('/audit-retention', { schema: { querystring: NoQuery } }, async () => {
    const setting = await readRetention(ctx.db);
    return { days: setting.days, updatedAt: timestamp(setting.updatedAt), updatedBy: setting.updatedBy };
  });

  app.put('/audit-retention', { schema: { body: RetentionBody } }, async (request) => {
    requireRole(request, 'admin');
    const { days } = request.body as { days: number | null };
    const now = ctx.clock.now();
    const adminId = request.admin!.id;

    await ctx.audit.transaction(async (trx) => {
      const before = await readRetention(trx);
      await saveRetention(trx, { days, updatedAt: now, updatedBy: adminId });
      await ctx.audit.writeInTransaction(trx, [
        { actor: adminActor(request), action: 'audit.retention_updated', target: { type: 'audit_retention', id: 'organisation' }, source: sourceOf(request), outcome: 'success', details: { before: { days: before.days }, after: { days } } },
      ]);
    });
    return { days, updatedAt: timestamp(now), updatedBy: adminId };
  });

  // Public data: a verifier outside Tessera needs the key and the signed checkpoints, nothing secret.
  app.get('/audit-checkpoints', { schema: { querystring: NoQuery } }, async () => {
    const signer = new CheckpointSigner(ctx.keyMaterial.auditCheckpointSeed);
    const rows = await listCheckpoints(ctx.db);
    return { publicKey: signer.publicKey.jwk, items: rows.map(checkpointView), nextCursor: null };
  });
}
