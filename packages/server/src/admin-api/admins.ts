import { hash } from '@node-rs/argon2';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { newId } from '../crypto/secrets.js';
import { adminInstanceIds, deleteAdmin, findAdmin, findAdminByUsername, insertAdmin, listAdmins, replaceAdminInstances, updateAdmin } from '../storage/admins.js';
import type { AdminRole, AdminRow, Database } from '../storage/tables.js';
import { instanceIndex, isUniqueViolation } from './account-store.js';
import { adminActor } from './auth.js';
import { requireFullAdmin } from './permissions.js';
import { isBuiltInInstance } from './tessera-instance.js';
import { requireSignedInAdmin } from './token-auth.js';
import { IdParams, NoQuery, StringEnum } from './schemas.js';
import { timestamp } from './views.js';

export const ADMIN_ROLES = ['admin', 'instance-admin', 'auditor'] as const;
export const MIN_PASSWORD_LENGTH = 12;

// The value of Algorithm.Argon2id, which is an ambient const enum that isolated modules cannot read.
const ARGON2ID = 2;

const Username = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._@-]+$' });
const Password = Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 1024 });
const InstanceList = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 500 });

const CreateAdminBody = Type.Object(
  { username: Username, password: Password, role: StringEnum(ADMIN_ROLES), instances: Type.Optional(InstanceList) },
  { additionalProperties: false },
);

const UpdateAdminBody = Type.Object(
  { password: Type.Optional(Password), role: Type.Optional(StringEnum(ADMIN_ROLES)), instances: Type.Optional(InstanceList) },
  { additionalProperties: false, minProperties: 1 },
);

/** The admin as the admin API returns it, also used for the before and after values of audit events. */
export async function adminView(db: Kysely<Database>, row: AdminRow) {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    instances: row.role === 'instance-admin' ? await adminInstanceIds(db, row.id) : [],
    authSource: row.auth_source,
    hasPassword: row.password_hash !== '',
    createdAt: timestamp(row.created_at),
    updatedAt: timestamp(row.updated_at),
  };
}

/** Resolves instance slugs or ids to ids, and checks that only an instance-admin lists instances. */
async function resolveInstances(ctx: ServerContext, role: AdminRole, refs: string[] | undefined): Promise<string[]> {
  if (role !== 'instance-admin') {
    if (refs && refs.length > 0) throw new RequestError('validation_failed', `instances applies only to the instance-admin role; remove it for the ${role} role.`, 'instances');
    return [];
  }
  if (!refs || refs.length === 0) {
    throw new RequestError('validation_failed', 'instances is required for the instance-admin role; list the slugs or ids of the instances this admin manages.', 'instances');
  }

  const instances = [...(await instanceIndex(ctx.db)).values()];
  return [
    ...new Set(
      refs.map((ref, index) => {
        const instance = instances.find((row) => row.id === ref || row.slug === ref);
        if (!instance) throw new RequestError('unknown_instance', `instances[${index}] "${ref}" is not a known instance slug or id.`, `instances[${index}]`);
        // Managing grants on the tessera instance means handing out admin:write, which is the admin role's power.
        if (isBuiltInInstance(instance)) throw new RequestError('validation_failed', `instances[${index}] "${ref}" is the built-in tessera instance; give the admin role instead of delegating it.`, `instances[${index}]`);
        return instance.id;
      }),
    ),
  ].sort();
}

async function requireAdminRow(ctx: ServerContext, id: string): Promise<AdminRow> {
  const row = await findAdmin(ctx.db, id);
  if (!row) throw new RequestError('not_found', `No admin has the id "${id}"; list admins with GET /api/v1/admins.`);
  return row;
}

/** Rejects a change that would leave no admin with the admin role, since nobody could then manage roles. */
async function requireAnotherFullAdmin(db: Kysely<Database>, leaving: AdminRow): Promise<void> {
  if (leaving.role !== 'admin') return;
  const others = (await listAdmins(db)).filter((row) => row.role === 'admin' && row.id !== leaving.id);
  if (others.length === 0) throw new RequestError('last_admin', `"${leaving.username}" is the last admin with the admin role; give another admin that role first.`);
}

function usernameTaken(username: string): RequestError {
  return new RequestError('username_taken', `An admin named "${username}" already exists; choose another username.`, 'username');
}

function audit(ctx: ServerContext, request: FastifyRequest, action: string, targetId: string, details: Record<string, unknown>) {
  return { actor: adminActor(request), action, target: { type: 'admin', id: targetId }, source: sourceOf(request), outcome: 'success' as const, details };
}

/** Registers the routes that manage admins and their roles; only the admin role may use them. */
export async function adminRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  // onRequest, so that a forbidden caller learns that before how to fix a body.
  app.addHook('onRequest', async (request) => {
    requireSignedInAdmin(request, 'Admin management');
    requireFullAdmin(request);
  });

  app.get('/admins', { schema: { querystring: NoQuery } }, async () => {
    const rows = await listAdmins(ctx.db);
    return { items: await Promise.all(rows.map((row) => adminView(ctx.db, row))), nextCursor: null };
  });

  app.get('/admins/:id', { schema: { params: IdParams } }, async (request) => adminView(ctx.db, await requireAdminRow(ctx, (request.params as { id: string }).id)));

  app.post('/admins', { schema: { body: CreateAdminBody } }, async (request, reply) => {
    const body = request.body as { username: string; password: string; role: AdminRole; instances?: string[] };
    const instanceIds = await resolveInstances(ctx, body.role, body.instances);
    if (await findAdminByUsername(ctx.db, body.username)) throw usernameTaken(body.username);

    const now = ctx.clock.now();
    const row: AdminRow = { id: newId(), username: body.username, password_hash: await hash(body.password, { algorithm: ARGON2ID }), role: body.role, created_at: now, auth_source: 'local', external_subject: null, updated_at: now };
    try {
      const view = await ctx.audit.transaction(async (trx) => {
        await insertAdmin(trx, row);
        await replaceAdminInstances(trx, row.id, instanceIds);
        const created = await adminView(trx, row);
        await ctx.audit.writeInTransaction(trx, [audit(ctx, request, 'admin.created', row.id, { after: created })]);
        return created;
      });
      return reply.code(201).send(view);
    } catch (error) {
      if (isUniqueViolation(error)) throw usernameTaken(body.username);
      throw error;
    }
  });

  app.patch('/admins/:id', { schema: { params: IdParams, body: UpdateAdminBody } }, async (request) => {
    const body = request.body as { password?: string; role?: AdminRole; instances?: string[] };
    const before = await requireAdminRow(ctx, (request.params as { id: string }).id);
    const role = body.role ?? before.role;
    if (role !== 'admin') await requireAnotherFullAdmin(ctx.db, before);

    const keepInstances = body.instances === undefined && role === before.role;
    const instanceIds = keepInstances ? await adminInstanceIds(ctx.db, before.id) : await resolveInstances(ctx, role, body.instances);
    const after: AdminRow = {
      ...before,
      role,
      password_hash: body.password === undefined ? before.password_hash : await hash(body.password, { algorithm: ARGON2ID }),
      updated_at: ctx.clock.now(),
    };

    return ctx.audit.transaction(async (trx) => {
      const beforeView = await adminView(trx, before);
      await updateAdmin(trx, after);
      await replaceAdminInstances(trx, after.id, instanceIds);
      const afterView = await adminView(trx, after);
      // The password itself never enters the event; only that it changed.
      await ctx.audit.writeInTransaction(trx, [audit(ctx, request, 'admin.updated', after.id, { before: beforeView, after: afterView, passwordChanged: body.password !== undefined })]);
      return afterView;
    });
  });

  app.delete('/admins/:id', { schema: { params: IdParams } }, async (request, reply) => {
    const row = await requireAdminRow(ctx, (request.params as { id: string }).id);
    await requireAnotherFullAdmin(ctx.db, row);

    await ctx.audit.transaction(async (trx) => {
      const beforeView = await adminView(trx, row);
      await deleteAdmin(trx, row.id);
      await ctx.audit.writeInTransaction(trx, [audit(ctx, request, 'admin.deleted', row.id, { before: beforeView })]);
    });
    return reply.code(204).send();
  });
}
