import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AccessGrantInput } from '../accounts/access.js';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { generateClientId, newId } from '../crypto/secrets.js';
import { ACCOUNT_SORTS, type AccountFilter, type AccountSort, countAccounts, deleteAccount, findAccountByName, insertAccount, listAccounts, replaceGrants, sortValueOf } from '../storage/accounts.js';
import { isPostgresUrl } from '../storage/database.js';
import { findInstance } from '../storage/instances.js';
import { appendRevocations } from '../storage/revocations.js';
import type { ServiceAccountRow } from '../storage/tables.js';
import { isUniqueViolation, createCredential, grantRows, instanceIndex, loadAccountView, loadAccountViews, requireAccount, resolveAccess } from './account-store.js';
import { adminActor } from './auth.js';
import { instanceScope, requireAccountInScope, requireAccountManager, requireGrantsInScope } from './permissions.js';
import { decodeCursor, encodeCursor, parseLimit } from './paging.js';
import { type GuardrailInput, NO_GUARDRAILS, applyGuardrailInput } from './account-guardrails.js';
import { AccessSchema, AccountGuardrailFields, CredentialRequestSchema, DisplayName, IdParams, PageQuery, StringEnum } from './schemas.js';
import { timestamp } from './views.js';
import { IdempotencyHeaders, replayOrClaim, storeResponse } from './idempotency.js';
import { commitAccountChange, nameTaken, prepareAccountChange } from './account-update.js';
import { desiredStateRoute } from './account-desired-state.js';
import { DAY_MS } from '../clock.js';

const Status = StringEnum(['active', 'disabled'] as const);

const CreateAccountBody = Type.Object(
  {
    name: DisplayName(100),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    owner: Type.Optional(Type.String({ maxLength: 200 })),
    access: Type.Optional(AccessSchema),
    credential: Type.Optional(CredentialRequestSchema),
    ...AccountGuardrailFields,
  },
  { additionalProperties: false },
);

const UpdateAccountBody = Type.Object(
  {
    name: Type.Optional(DisplayName(100)),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    owner: Type.Optional(Type.String({ maxLength: 200 })),
    access: Type.Optional(AccessSchema),
    status: Type.Optional(Status),
    ...AccountGuardrailFields,
  },
  { additionalProperties: false, minProperties: 1 },
);

const DayCount = Type.String({ pattern: '^[0-9]{1,4}$' });

const ListQuery = Type.Object(
  {
    search: Type.Optional(Type.String({ maxLength: 200 })),
    status: Type.Optional(Status),
    instance: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    unusedForDays: Type.Optional(DayCount),
    expiringWithinDays: Type.Optional(DayCount),
    sort: Type.Optional(StringEnum(ACCOUNT_SORTS)),
    ...PageQuery,
  },
  { additionalProperties: false },
);

interface ListParameters {
  search?: string;
  status?: 'active' | 'disabled';
  instance?: string;
  owner?: string;
  unusedForDays?: string;
  expiringWithinDays?: string;
  sort?: AccountSort;
  limit?: string;
  cursor?: string;
}


function parseDays(raw: string | undefined, field: string): number | undefined {
  if (raw === undefined) return undefined;
  const days = Number(raw);
  if (days < 1 || days > 3650) throw new RequestError('validation_failed', `${field} must be a whole number of days from 1 to 3650; got "${raw}".`, field);
  return days;
}

interface CreateAccount extends GuardrailInput {
  name: string;
  description?: string;
  owner?: string;
  access?: AccessGrantInput[];
  credential?: { expiresInDays?: number | null };
}

interface UpdateAccount extends GuardrailInput {
  name?: string;
  description?: string;
  owner?: string;
  access?: AccessGrantInput[];
  status?: 'active' | 'disabled';
}

interface AccountCursor {
  sort: AccountSort;
  value: string | number;
  id: string;
}

function isAccountCursor(value: unknown): value is AccountCursor {
  const cursor = value as Partial<AccountCursor> | null;
  const validValue = typeof cursor?.value === 'string' || typeof cursor?.value === 'number';
  return validValue && typeof cursor?.id === 'string' && ACCOUNT_SORTS.includes(cursor.sort as AccountSort);
}

export async function serviceAccountRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.get('/service-accounts', { schema: { querystring: ListQuery } }, async (request) => {
    const query = request.query as ListParameters;
    const limit = parseLimit(query.limit);
    const sort = query.sort ?? 'name';
    const after = decodeCursor(query.cursor, isAccountCursor);
    if (after && after.sort !== sort) {
      throw new RequestError('invalid_cursor', `cursor belongs to a list sorted by ${after.sort}, not ${sort}; keep the sort while paging, or leave the cursor out to start again.`, 'cursor');
    }

    let instanceId: string | undefined;
    if (query.instance) {
      const instance = await findInstance(ctx.db, query.instance);
      if (!instance) throw new RequestError('validation_failed', `instance "${query.instance}" is not a known instance slug or id.`, 'instance');
      instanceId = instance.id;
    }

    const now = ctx.clock.now();
    const unusedForDays = parseDays(query.unusedForDays, 'unusedForDays');
    // The filter and the sort read last-used times from the database, so write this node's pending ones first.
    // NOTE: uses still pending on other nodes show up within their flush interval (5 s by default).
    if (unusedForDays !== undefined || sort.endsWith('lastUsedAt')) await ctx.lastUsed.flush();
    const expiringWithinDays = parseDays(query.expiringWithinDays, 'expiringWithinDays');
    const filter: AccountFilter = {
      search: query.search,
      status: query.status,
      instanceId,
      owner: query.owner,
      idleSince: unusedForDays === undefined ? undefined : now - unusedForDays * DAY_MS,
      expiringBefore: expiringWithinDays === undefined ? undefined : now + expiringWithinDays * DAY_MS,
      withinInstances: instanceScope(request),
      now,
    };

    // PostgreSQL counts on a second pool connection while the list runs. SQLite runs one
    // statement at a time, so there the count follows the list. A first page that contains
    // every match is its own count, which saves SQLite a second scan for a rare search.
    const [rows, counted] = await Promise.all([
      listAccounts(ctx.db, { ...filter, sort, after, limit: limit + 1 }),
      isPostgresUrl(ctx.config.databaseUrl) ? countAccounts(ctx.db, filter) : undefined,
    ]);
    const total = counted ?? (!after && rows.length <= limit ? rows.length : await countAccounts(ctx.db, filter));
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: await loadAccountViews(ctx, page),
      nextCursor: rows.length > limit && last ? encodeCursor({ sort, value: sortValueOf(last, sort), id: last.id }) : null,
      total,
    };
  });

  app.get('/service-accounts/:id', { schema: { params: IdParams } }, async (request) => {
    const account = await requireAccount(ctx, (request.params as { id: string }).id);
    await requireAccountInScope(ctx, request, account.id, false);
    return loadAccountView(ctx, ctx.db, account);
  });

  app.post('/service-accounts', { schema: { body: CreateAccountBody, headers: IdempotencyHeaders } }, async (request, reply) => {
    requireAccountManager(request);
    const body = request.body as CreateAccount;
    const grants = resolveAccess(body.access ?? [], await instanceIndex(ctx.db), await ctx.policies.current());
    requireGrantsInScope(request, grants);
    if (await replayOrClaim(ctx, request, reply)) return reply;
    if (await findAccountByName(ctx.db, body.name)) throw nameTaken(body.name);

    const now = ctx.clock.now();
    const account: ServiceAccountRow = {
      id: newId(),
      client_id: generateClientId(),
      name: body.name,
      description: body.description ?? '',
      owner: body.owner ?? '',
      status: 'active',
      created_at: now,
      updated_at: now,
      last_used_at: null,
      last_used_ip: null,
      token_generation: 0,
      ...applyGuardrailInput(body, NO_GUARDRAILS),
      dormant_since: null,
    };

    try {
      const result = await ctx.audit.transaction(async (trx) => {
        await insertAccount(trx, account);
        await replaceGrants(trx, account.id, grantRows(account.id, grants));
        const credential = await createCredential(ctx, trx, account.id, body.credential?.expiresInDays, { field: 'credential.expiresInDays' });
        const view = await loadAccountView(ctx, trx, account);
        await ctx.audit.writeInTransaction(trx, [
          { actor: adminActor(request), action: 'account.created', target: { type: 'service_account', id: account.id }, source: sourceOf(request), outcome: 'success', details: { after: view } },
          {
            actor: adminActor(request),
            action: 'credential.created',
            target: { type: 'credential', id: credential.row.id },
            source: sourceOf(request),
            outcome: 'success',
            details: { accountId: account.id, expiresAt: timestamp(credential.row.expires_at) },
          },
        ]);
        const response = {
          ...view,
          credential: { id: credential.row.id, clientSecret: credential.secret, createdAt: timestamp(credential.row.created_at), expiresAt: timestamp(credential.row.expires_at) },
        };
        await storeResponse(ctx, trx, request, 201, response);
        return response;
      });

      return reply.code(201).send(result);
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(body.name);
      throw error;
    }
  });

  app.patch('/service-accounts/:id', { schema: { params: IdParams, body: UpdateAccountBody } }, async (request) => {
    requireAccountManager(request);
    const body = request.body as UpdateAccount;
    const before = await requireAccount(ctx, (request.params as { id: string }).id);
    await requireAccountInScope(ctx, request, before.id, true);
    const grants = body.access && resolveAccess(body.access, await instanceIndex(ctx.db), await ctx.policies.current());
    if (grants) requireGrantsInScope(request, grants);

    const fields = { ...body, name: body.name ?? before.name, description: body.description ?? before.description, owner: body.owner ?? before.owner, status: body.status ?? before.status };
    return commitAccountChange(ctx, request, await prepareAccountChange(ctx, before, fields, grants));
  });

  await desiredStateRoute(app, ctx);

  app.delete('/service-accounts/:id', { schema: { params: IdParams } }, async (request, reply) => {
    requireAccountManager(request);
    const account = await requireAccount(ctx, (request.params as { id: string }).id);
    await requireAccountInScope(ctx, request, account.id, true);

    await ctx.audit.transaction(async (trx) => {
      const beforeView = await loadAccountView(ctx, trx, account);
      await appendRevocations(trx, [{ kind: 'account_deleted', accountId: account.id }], ctx.clock.now());
      await deleteAccount(trx, account.id);
      await ctx.audit.writeInTransaction(trx, [
        { actor: adminActor(request), action: 'account.deleted', target: { type: 'service_account', id: account.id }, source: sourceOf(request), outcome: 'success', details: { before: beforeView } },
      ]);
    });
    return reply.code(204).send();
  });
}
