import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AccessGrantInput } from '../accounts/access.js';
import type { ServerContext } from '../context.js';
import type { GuardrailInput } from './account-guardrails.js';
import { instanceIndex, requireAccount, resolveAccess } from './account-store.js';
import { type AccountFields, commitAccountChange, prepareAccountChange, previewAccountChange } from './account-update.js';
import { requireAccountInScope, requireAccountManager, requireGrantsInScope } from './permissions.js';
import { AccessSchema, AccountGuardrailFields, DisplayName, IdParams, StringEnum } from './schemas.js';

/** Body of PUT: the whole desired state of an account, the POST fields without `credential`, plus `status`. */
const DesiredAccountBody = Type.Object(
  {
    name: DisplayName(100),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    owner: Type.Optional(Type.String({ maxLength: 200 })),
    access: Type.Optional(AccessSchema),
    status: Type.Optional(StringEnum(['active', 'disabled'] as const)),
    ...AccountGuardrailFields,
  },
  { additionalProperties: false },
);

export const DryRunQuery = Type.Object({ dryRun: Type.Optional(StringEnum(['true', 'false'] as const)) }, { additionalProperties: false });

interface DesiredAccount extends GuardrailInput {
  name: string;
  description?: string;
  owner?: string;
  access?: AccessGrantInput[];
  status?: 'active' | 'disabled';
}

/** Fills every field the body leaves out with the value a new account gets, as PUT replaces the whole state. */
function withDefaults(body: DesiredAccount): AccountFields {
  return {
    name: body.name,
    description: body.description ?? '',
    owner: body.owner ?? '',
    status: body.status ?? 'active',
    purpose: body.purpose ?? '',
    contacts: body.contacts ?? [],
    reviewDate: body.reviewDate ?? null,
    ipAllowlist: body.ipAllowlist ?? null,
    rateLimit: body.rateLimit ?? null,
    dpopBound: body.dpopBound ?? false,
  };
}

/**
 * PUT /api/v1/service-accounts/{id} converges an account on the desired state in the body. A
 * field left out takes its default (empty text, no access, active, no guardrails). When
 * nothing differs, nothing is written and no audit event is recorded; otherwise the effects
 * and the audit event are those of PATCH. The response is the account with `changes`, the
 * fields that changed. With `?dryRun=true` nothing is written and `changes` lists the fields
 * that would change. Credentials are not part of the state and stay as they are.
 */
export async function desiredStateRoute(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.put('/service-accounts/:id', { schema: { params: IdParams, querystring: DryRunQuery, body: DesiredAccountBody } }, async (request) => {
    requireAccountManager(request);
    const body = request.body as DesiredAccount;
    const dryRun = (request.query as { dryRun?: string }).dryRun === 'true';
    const before = await requireAccount(ctx, (request.params as { id: string }).id);
    await requireAccountInScope(ctx, request, before.id, true);
    const grants = resolveAccess(body.access ?? [], await instanceIndex(ctx.db), await ctx.policies.current());
    requireGrantsInScope(request, grants);

    const change = await prepareAccountChange(ctx, before, withDefaults(body), grants);
    if (dryRun || change.changes.length === 0) return { ...(await previewAccountChange(ctx, change)), changes: change.changes };

    return { ...(await commitAccountChange(ctx, request, change)), changes: change.changes };
  });
}
