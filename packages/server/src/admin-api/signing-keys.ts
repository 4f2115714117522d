import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import type { PublicSigningKey } from '../oauth/signing-keys.js';
import { adminActor, requireRole } from './auth.js';
import { NoQuery } from './schemas.js';
import { timestamp } from './views.js';

const RotateKeyBody = Type.Object(
  { activateInSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86400 })) },
  { additionalProperties: false },
);

function keyView(key: PublicSigningKey, now: number) {
  let state = 'signing';
  if (key.activatesAt > now) state = 'published';
  else if (key.retiresAt !== null && key.retiresAt <= now) state = 'retired';
  return { kid: key.kid, alg: key.alg, state, activatesAt: timestamp(key.activatesAt), retiresAt: timestamp(key.retiresAt), unpublishesAt: timestamp(key.unpublishesAt) };
}

export async function signingKeyRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get('/signing-keys', { schema: { querystring: NoQuery } }, async () => {
    const now = ctx.clock.now();
    return { items: ctx.keyRing.publishedKeys().map((key) => keyView(key, now)), nextCursor: null };
  });

  app.post('/signing-keys/rotate', { schema: { body: Type.Optional(RotateKeyBody) } }, async (request, reply) => {
    requireRole(request, 'admin');
    const body = (request.body ?? {}) as { activateInSeconds?: number };
    const key = await ctx.keyRing.rotate(body.activateInSeconds ?? ctx.config.keyActivationDelaySeconds);

    await ctx.audit.write({ actor: adminActor(request), action: 'signing_key.rotated', target: { type: 'signing_key', id: key.kid }, source: sourceOf(request), outcome: 'success', details: { activatesAt: timestamp(key.activatesAt) } });
    return reply.code(201).send(keyView(key, ctx.clock.now()));
  });
}
