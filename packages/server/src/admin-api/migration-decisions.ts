import { Type } from '@sinclair/typebox';
import { expandScopes, findProfile } from '@tessera/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessGrantInput } from '../accounts/access.js';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { generateClientId, newId } from '../crypto/secrets.js';
import type { ProposedAccount } from '../migration/propose.js';
import type { SourceAccount } from '../migration/source-accounts.js';
import { proposalView } from '../migration/views.js';
import { findAccountByName, insertAccount, replaceGrants } from '../storage/accounts.js';
import { decideProposal, findProposal, insertMapping } from '../storage/migration-imports.js';
import type { InstanceRow, MigrationProposalRow, ServiceAccountRow } from '../storage/tables.js';
import { NO_GUARDRAILS, applyGuardrailInput } from './account-guardrails.js';
import { createCredential, grantRows, instanceIndex, isUniqueViolation, loadAccountView, resolveAccess } from './account-store.js';
import { adminActor, requireRole } from './auth.js';
import { CredentialRequestSchema, DisplayName } from './schemas.js';
import { timestamp } from './views.js';

const ProposalParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }), proposalId: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

const AcceptBody = Type.Object(
  {
    name: Type.Optional(DisplayName(100)),
    owner: Type.Optional(Type.String({ maxLength: 200 })),
    access: Type.Optional(
      Type.Array(
        Type.Object({ instance: Type.String({ minLength: 1, maxLength: 200 }), scopes: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 50 }) }, { additionalProperties: false }),
        { maxItems: 100 },
      ),
    ),
    credential: Type.Optional(CredentialRequestSchema),
  },
  { additionalProperties: false },
);

const RejectBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });

interface AcceptEdits {
  name?: string;
  owner?: string;
  access?: Array<{ instance: string; scopes: string[] }>;
  credential?: { expiresInDays?: number | null };
}

async function requirePendingProposal(ctx: ServerContext, request: FastifyRequest): Promise<MigrationProposalRow> {
  const { id, proposalId } = request.params as { id: string; proposalId: string };
  const row = await findProposal(ctx.db, id, proposalId);
  if (!row) throw new RequestError('not_found', `Import "${id}" has no proposal "${proposalId}"; list its proposals with GET /api/v1/migrations/imports/${id}.`);
  if (row.status !== 'pending') throw decided(row.id, row.status);
  return row;
}

function decided(id: string, status: string): RequestError {
  return new RequestError('proposal_decided', `Proposal "${id}" was already ${status}; a proposal is decided once.`);
}

/**
 * Applies scope edits to the proposed grants. An edit may only narrow: each scope it names
 * must be granted or implied by the proposed scopes on that instance.
 * NOTE: resource restrictions cannot be edited here; narrow them afterwards with PATCH.
 */
function narrowAccess(proposed: AccessGrantInput[], edits: AcceptEdits['access'], instances: Map<string, InstanceRow>): AccessGrantInput[] {
  if (!edits) return proposed;

  const result = proposed.map((grant) => ({ ...grant }));
  edits.forEach((edit, index) => {
    const grant = result.find((candidate) => candidate.instance === edit.instance);
    if (!grant) {
      throw new RequestError('validation_failed', `access[${index}].instance "${edit.instance}" has no proposed grant; edits can only narrow the proposed grants (${proposed.map((entry) => entry.instance).join(', ') || 'none'}).`, `access[${index}].instance`);
    }
    const instance = [...instances.values()].find((row) => row.slug === grant.instance);
    const profile = findProfile(instance?.profile ?? '');
    const allowed = profile ? expandScopes(profile, grant.scopes) : new Set(grant.scopes);
    edit.scopes.forEach((scope, scopeIndex) => {
      if (!allowed.has(scope)) {
        const field = `access[${index}].scopes[${scopeIndex}]`;
        throw new RequestError('validation_failed', `${field} "${scope}" is not covered by the proposed scopes (${grant.scopes.join(', ')}) on "${grant.instance}"; edits can only narrow a proposal.`, field);
      }
    });
    grant.scopes = edit.scopes;
  });
  return result;
}

export async function migrationDecisionRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.post('/migrations/imports/:id/proposals/:proposalId/accept', { schema: { params: ProposalParams, body: AcceptBody } }, async (request, reply) => {
    requireRole(request, 'admin');
    const edits = request.body as AcceptEdits;
    const row = await requirePendingProposal(ctx, request);
    const proposed = JSON.parse(row.proposal) as ProposedAccount;
    const source = JSON.parse(row.source) as SourceAccount;

    const instances = await instanceIndex(ctx.db);
    const grants = resolveAccess(narrowAccess(proposed.access, edits.access, instances), instances, await ctx.policies.current());
    const name = edits.name ?? proposed.name;
    const nameTaken = () => new RequestError('name_taken', `A service account named "${name}" already exists; accept with another "name".`, 'name');
    if (await findAccountByName(ctx.db, name)) throw nameTaken();

    const now = ctx.clock.now();
    const account: ServiceAccountRow = {
      id: newId(),
      client_id: generateClientId(),
      name,
      description: proposed.description,
      owner: edits.owner ?? proposed.owner,
      status: 'active',
      created_at: now,
      updated_at: now,
      last_used_at: null,
      last_used_ip: null,
      token_generation: 0,
      ...applyGuardrailInput({ purpose: proposed.purpose }, NO_GUARDRAILS),
      dormant_since: null,
    };

    try {
      const result = await ctx.audit.transaction(async (trx) => {
        if (!(await decideProposal(trx, row.id, { status: 'accepted', decided_at: now, decided_by: request.admin!.id, account_id: account.id }))) throw decided(row.id, 'accepted or rejected');
        await insertAccount(trx, account);
        await replaceGrants(trx, account.id, grantRows(account.id, grants));
        const credential = await createCredential(ctx, trx, account.id, edits.credential?.expiresInDays, { field: 'credential.expiresInDays' });
        await insertMapping(trx, { proposal_id: row.id, import_id: row.import_id, source_name: source.name, source_email: source.email, account_id: account.id, created_at: now });
        const view = await loadAccountView(ctx, trx, account);

        const actor = adminActor(request);
        const origin = sourceOf(request);
        await ctx.audit.writeInTransaction(trx, [
          { actor, action: 'account.created', target: { type: 'service_account', id: account.id }, source: origin, outcome: 'success', details: { after: view, migratedFrom: { name: source.name, email: source.email } } },
          { actor, action: 'credential.created', target: { type: 'credential', id: credential.row.id }, source: origin, outcome: 'success', details: { accountId: account.id, expiresAt: timestamp(credential.row.expires_at) } },
          { actor, action: 'migration.proposal_accepted', target: { type: 'migration_proposal', id: row.id }, source: origin, outcome: 'success', details: { importId: row.import_id, accountId: account.id, sourceName: source.name, sourceEmail: source.email, edited: Object.keys(edits).filter((key) => key !== 'credential') } },
        ]);
        return { view, credential, decidedRow: { ...row, status: 'accepted' as const, decided_at: now, decided_by: request.admin!.id, account_id: account.id } };
      });

      return reply.code(201).send({
        proposal: proposalView(result.decidedRow),
        account: {
          ...result.view,
          credential: { id: result.credential.row.id, clientSecret: result.credential.secret, createdAt: timestamp(result.credential.row.created_at), expiresAt: timestamp(result.credential.row.expires_at) },
        },
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken();
      throw error;
    }
  });

  app.post('/migrations/imports/:id/proposals/:proposalId/reject', { schema: { params: ProposalParams, body: RejectBody } }, async (request) => {
    requireRole(request, 'admin');
    const { reason } = request.body as { reason?: string };
    const row = await requirePendingProposal(ctx, request);
    const now = ctx.clock.now();
    const after: MigrationProposalRow = { ...row, status: 'rejected', decided_at: now, decided_by: request.admin!.id };

    await ctx.audit.transaction(async (trx) => {
      if (!(await decideProposal(trx, row.id, { status: 'rejected', decided_at: now, decided_by: request.admin!.id, account_id: null }))) throw decided(row.id, 'accepted or rejected');
      await ctx.audit.writeInTransaction(trx, [
        { actor: adminActor(request), action: 'migration.proposal_rejected', target: { type: 'migration_proposal', id: row.id }, source: sourceOf(request), outcome: 'success', details: { importId: row.import_id, sourceName: (JSON.parse(row.source) as SourceAccount).name, reason: reason ?? null } },
      ]);
    });
    return proposalView(after);
  });
}
