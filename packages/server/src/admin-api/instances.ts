import { Type } from '@sinclair/typebox';
import { BUILT_IN_PROFILES } from '@tessera/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { newId } from '../crypto/secrets.js';
import { MAX_TOKEN_LIFETIME_SECONDS } from '../oauth/signing-keys.js';
import { normaliseAudience } from '../oauth/token/select-grant.js';
import { countGrantsOnInstance, deleteInstance, findInstance, findInstanceByAudience, insertInstance, listInstances, updateInstance } from '../storage/instances.js';
import type { InstanceRow } from '../storage/tables.js';
import { adminActor, requireRole } from './auth.js';
import { instanceScope } from './permissions.js';
import { checkTokenLifetime } from '../accounts/policy-rules.js';
import { DisplayName, IdParams, NoQuery, SLUG_PATTERN, StringEnum } from './schemas.js';
import { isBuiltInInstance } from './tessera-instance.js';
import { instanceView } from './views.js';
import { IdempotencyHeaders, replayOrClaim, storeResponse } from './idempotency.js';

const Slug = Type.String({ minLength: 2, maxLength: 63, pattern: SLUG_PATTERN });
const Audience = Type.String({ minLength: 1, maxLength: 2000 });
const TokenFormat = StringEnum(['jwt', 'opaque'] as const);
const Lifetime = Type.Union([Type.Integer({ minimum: 60, maximum: MAX_TOKEN_LIFETIME_SECONDS }), Type.Null()]);

const CreateInstanceBody = Type.Object(
  {
    slug: Slug,
    name: DisplayName(200),
    profile: Type.String({ minLength: 1, maxLength: 64 }),
    audience: Audience,
    accessTokenLifetimeSeconds: Type.Optional(Lifetime),
    tokenFormat: Type.Optional(TokenFormat),
  },
  { additionalProperties: false },
);

const UpdateInstanceBody = Type.Object(
  {
    slug: Type.Optional(Type.String({ maxLength: 200 })),
    profile: Type.Optional(Type.String({ maxLength: 64 })),
    name: Type.Optional(DisplayName(200)),
    audience: Type.Optional(Audience),
    accessTokenLifetimeSeconds: Type.Optional(Lifetime),
    tokenFormat: Type.Optional(TokenFormat),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** Checks an audience: the product's absolute http(s) base URL, stored without a trailing slash. */
function validateAudience(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RequestError('validation_failed', `audience "${raw.slice(0, 200)}" is not an absolute URL; use the product's base URL, such as https://jira.example.com.`, 'audience');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.hash || url.search || url.username || url.password) {
    throw new RequestError('validation_failed', `audience "${raw.slice(0, 200)}" must be an http or https base URL without credentials, query or fragment.`, 'audience');
  }
  return normaliseAudience(url.href);
}

function validateProfile(name: string): string {
  const choices = [...BUILT_IN_PROFILES.values()].filter((profile) => !profile.reserved).map((profile) => profile.name);
  if (BUILT_IN_PROFILES.get(name)?.reserved) {
    throw new RequestError('validation_failed', `profile "${name}" is reserved for the built-in instance that Tessera creates itself; use one of: ${choices.join(', ')}.`, 'profile');
  }
  if (!BUILT_IN_PROFILES.has(name)) {
    throw new RequestError('validation_failed', `profile "${name.slice(0, 64)}" is unknown; use one of: ${choices.join(', ')}.`, 'profile');
  }
  return name;
}

function builtIn(instance: InstanceRow, change: string): RequestError {
  return new RequestError('instance_built_in', `"${instance.slug}" is the built-in instance of the admin API, so ${change}; its audience follows the issuer (TESSERA_ISSUER) at every start.`);
}

async function requireInstance(ctx: ServerContext, id: string): Promise<InstanceRow> {
  const instance = await findInstance(ctx.db, id);
  if (!instance) throw new RequestError('not_found', `No instance has the slug or id "${id}"; list instances with GET /api/v1/instances.`);
  return instance;
}

async function ensureAudienceFree(ctx: ServerContext, audience: string, exceptId?: string): Promise<void> {
  const holder = await findInstanceByAudience(ctx.db, audience);
  if (holder && holder.id !== exceptId) {
    throw new RequestError('audience_taken', `audience "${audience}" already belongs to the instance "${holder.slug}"; each instance needs its own base URL.`, 'audience');
  }
}

export async function instanceRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get('/instances', { schema: { querystring: NoQuery } }, async (request) => {
    const scope = instanceScope(request);
    const rows = (await listInstances(ctx.db)).filter((row) => !scope || scope.includes(row.id));
    return { items: rows.map(instanceView), nextCursor: null };
  });

  app.get('/instances/:id', { schema: { params: IdParams } }, async (request) => {
    const instance = await requireInstance(ctx, (request.params as { id: string }).id);
    const scope = instanceScope(request);
    if (scope && !scope.includes(instance.id)) throw new RequestError('forbidden', `Instance "${instance.slug}" is not assigned to you; ask an admin.`);
    return instanceView(instance);
  });

  app.post('/instances', { schema: { body: CreateInstanceBody, headers: IdempotencyHeaders } }, async (request: FastifyRequest, reply) => {
    requireRole(request, 'admin');
    if (await replayOrClaim(ctx, request, reply)) return reply;
    const body = request.body as { slug: string; name: string; profile: string; audience: string; accessTokenLifetimeSeconds?: number | null; tokenFormat?: 'jwt' | 'opaque' };
    checkTokenLifetime(await ctx.policies.current(), body.accessTokenLifetimeSeconds);
    const profile = validateProfile(body.profile);
    const audience = validateAudience(body.audience);

    if (await findInstance(ctx.db, body.slug)) throw new RequestError('slug_taken', `slug "${body.slug}" is taken by another instance; choose another.`, 'slug');
    await ensureAudienceFree(ctx, audience);

    const now = ctx.clock.now();
    const row: InstanceRow = {
      id: newId(),
      slug: body.slug,
      name: body.name,
      profile,
      audience,
      access_token_lifetime_seconds: body.accessTokenLifetimeSeconds ?? null,
      token_format: body.tokenFormat ?? 'jwt',
      created_at: now,
      updated_at: now,
    };
    await ctx.audit.transaction(async (trx) => {
      await insertInstance(trx, row);
      await storeResponse(ctx, trx, request, 201, instanceView(row));
      await ctx.audit.writeInTransaction(trx, [
        { actor: adminActor(request), action: 'instance.created', target: { type: 'instance', id: row.id }, instanceId: row.id, source: sourceOf(request), outcome: 'success', details: { after: instanceView(row) } },
      ]);
    });
    return reply.code(201).send(instanceView(row));
  });

  app.patch('/instances/:id', { schema: { params: IdParams, body: UpdateInstanceBody } }, async (request) => {
    requireRole(request, 'admin');
    const before = await requireInstance(ctx, (request.params as { id: string }).id);
    const body = request.body as { slug?: string; profile?: string; name?: string; audience?: string; accessTokenLifetimeSeconds?: number | null; tokenFormat?: 'jwt' | 'opaque' };
    checkTokenLifetime(await ctx.policies.current(), body.accessTokenLifetimeSeconds);
    if (body.slug !== undefined && body.slug !== before.slug) {
      throw new RequestError('validation_failed', `slug cannot change, because grants and scripts refer to "${before.slug}"; create a new instance with the new slug instead.`, 'slug');
    }
    if (body.profile !== undefined && body.profile !== before.profile) {
      if (isBuiltInInstance(before)) throw builtIn(before, 'its profile cannot change');
      throw new RequestError('validation_failed', `profile cannot change, because the grants on "${before.slug}" name its scopes; create a new instance with the other profile instead.`, 'profile');
    }
    if (body.audience !== undefined && isBuiltInInstance(before) && validateAudience(body.audience) !== before.audience) throw builtIn(before, 'its audience cannot change');

    const after: InstanceRow = { ...before, updated_at: ctx.clock.now() };
    if (body.name !== undefined) after.name = body.name;
    if (body.accessTokenLifetimeSeconds !== undefined) after.access_token_lifetime_seconds = body.accessTokenLifetimeSeconds;
    if (body.tokenFormat !== undefined) after.token_format = body.tokenFormat;
    if (body.audience !== undefined) {
      after.audience = validateAudience(body.audience);
      await ensureAudienceFree(ctx, after.audience, before.id);
    }

    await ctx.audit.transaction(async (trx) => {
      await updateInstance(trx, after);
      await ctx.audit.writeInTransaction(trx, [
        { actor: adminActor(request), action: 'instance.updated', target: { type: 'instance', id: after.id }, instanceId: after.id, source: sourceOf(request), outcome: 'success', details: { before: instanceView(before), after: instanceView(after) } },
      ]);
    });
    return instanceView(after);
  });

  app.delete('/instances/:id', { schema: { params: IdParams } }, async (request, reply) => {
    requireRole(request, 'admin');
    const instance = await requireInstance(ctx, (request.params as { id: string }).id);
    if (isBuiltInInstance(instance)) throw builtIn(instance, 'it cannot be deleted');

    await ctx.audit.transaction(async (trx) => {
      const grants = await countGrantsOnInstance(trx, instance.id);
      if (grants > 0) {
        throw new RequestError('instance_in_use', `${grants} service account(s) hold grants on "${instance.slug}"; remove those grants first (PATCH each account's access).`);
      }
      await deleteInstance(trx, instance.id);
      await ctx.audit.writeInTransaction(trx, [
        { actor: adminActor(request), action: 'instance.deleted', target: { type: 'instance', id: instance.id }, instanceId: instance.id, source: sourceOf(request), outcome: 'success', details: { before: instanceView(instance) } },
      ]);
    });
    return reply.code(204).send();
  });
}
