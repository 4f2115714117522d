import { findProfile } from '@tessera/shared';
import type { FastifyRequest } from 'fastify';
import { type Grant, isNarrowing } from '../accounts/access.js';
import { RequestError } from '../accounts/errors.js';
import { sourceOf } from '../audit/event.js';
import type { ServerContext } from '../context.js';
import { findAccountByName, grantsOf, replaceGrants, updateAccount } from '../storage/accounts.js';
import { credentialsOf } from '../storage/credentials.js';
import { appendRevocations } from '../storage/revocations.js';
import type { ServiceAccountRow } from '../storage/tables.js';
import { type GuardrailInput, applyGuardrailInput, guardrailView } from './account-guardrails.js';
import { grantRows, grantsFromRows, instanceIndex, isUniqueViolation, loadAccountView } from './account-store.js';
import { adminActor } from './auth.js';
import { accountView } from './views.js';

/** The fields of an account that PATCH and PUT set, after defaults or current values are filled in. */
export interface AccountFields extends GuardrailInput {
  name: string;
  description: string;
  owner: string;
  status: 'active' | 'disabled';
}

export interface AccountChange {
  before: ServiceAccountRow;
  after: ServiceAccountRow;
  /** New grants, or undefined to keep the current ones. */
  grants?: Grant[];
  /** API field names whose value changes, such as `description` or `access`. */
  changes: string[];
}

export function nameTaken(name: string): RequestError {
  return new RequestError('name_taken', `A service account named "${name}" already exists; choose another name.`, 'name');
}

/** Compares grants as sets: the order of grants, scopes and resource ids carries no meaning. */
function grantKey(grants: Grant[]): string {
  const normalised = grants.map((grant) => {
    const resources = Object.keys(grant.resources)
      .sort()
      .map((type) => {
        const ids = grant.resources[type];
        return [type, ids === '*' ? '*' : [...new Set(ids)].sort()];
      });
    return JSON.stringify([grant.instanceId, [...new Set(grant.scopes)].sort(), resources]);
  });
  return JSON.stringify(normalised.sort());
}

const PLAIN_FIELDS = ['name', 'description', 'owner', 'status'] as const;
const GUARDRAIL_FIELDS = ['purpose', 'contacts', 'reviewDate', 'ipAllowlist', 'rateLimit', 'dpopBound'] as const;

/**
 * Works out an account's row after a change and which fields it changes. The token generation
 * goes up when the change disables the account, narrows its grants or starts to require DPoP,
 * so that tokens issued before stay inactive even if access comes back.
 */
export async function prepareAccountChange(ctx: ServerContext, before: ServiceAccountRow, fields: AccountFields, grants: Grant[] | undefined): Promise<AccountChange> {
  if (fields.name !== before.name && (await findAccountByName(ctx.db, fields.name))) throw nameTaken(fields.name);

  const instances = await instanceIndex(ctx.db);
  const grantsBefore = grantsFromRows(await grantsOf(ctx.db, [before.id]), instances);
  const disabling = before.status === 'active' && fields.status === 'disabled';
  const narrowing = grants !== undefined && isNarrowing((id) => findProfile(instances.get(id)?.profile ?? ''), grantsBefore, grants);
  const bindingTokens = Number(before.dpop_bound) === 0 && fields.dpopBound === true;

  const after: ServiceAccountRow = {
    ...before,
    name: fields.name,
    description: fields.description,
    owner: fields.owner,
    status: fields.status,
    ...applyGuardrailInput(fields, before),
    updated_at: ctx.clock.now(),
    token_generation: Number(before.token_generation) + (disabling || narrowing || bindingTokens ? 1 : 0),
  };

  const changes: string[] = PLAIN_FIELDS.filter((field) => before[field] !== after[field]);
  if (grants !== undefined && grantKey(grants) !== grantKey(grantsBefore)) changes.push('access');
  const guardrailsBefore = guardrailView(before);
  const guardrailsAfter = guardrailView(after);
  for (const field of GUARDRAIL_FIELDS) {
    if (JSON.stringify(guardrailsBefore[field]) !== JSON.stringify(guardrailsAfter[field])) changes.push(field);
  }
  return { before, after, grants, changes };
}

/** Builds the view an account would have after a change, without writing it, for a dry run. */
export async function previewAccountChange(ctx: ServerContext, change: AccountChange) {
  const [grants, credentials, instances] = await Promise.all([grantsOf(ctx.db, [change.before.id]), credentialsOf(ctx.db, change.before.id), instanceIndex(ctx.db)]);
  const rows = change.grants ? grantRows(change.before.id, change.grants) : grants;
  return accountView(ctx, change.changes.length > 0 ? change.after : change.before, rows, credentials, instances);
}

/** Writes a change with its audit event and its revocation entry, and returns the account's new view. */
export async function commitAccountChange(ctx: ServerContext, request: FastifyRequest, change: AccountChange) {
  const { before, after, grants } = change;
  try {
    return await ctx.audit.transaction(async (trx) => {
      const beforeView = await loadAccountView(ctx, trx, before);
      // Announced before the grants change, so that the entry reaches the instances the account loses.
      if (after.token_generation !== Number(before.token_generation)) {
        await appendRevocations(trx, [{ kind: 'account', accountId: after.id, generation: after.token_generation }], after.updated_at);
      }
      await updateAccount(trx, after);
      if (grants) await replaceGrants(trx, after.id, grantRows(after.id, grants));
      const afterView = await loadAccountView(ctx, trx, after);

      let action = 'account.updated';
      if (before.status !== after.status) action = after.status === 'disabled' ? 'account.disabled' : 'account.enabled';
      await ctx.audit.writeInTransaction(trx, [
        { actor: adminActor(request), action, target: { type: 'service_account', id: after.id }, source: sourceOf(request), outcome: 'success', details: { before: beforeView, after: afterView } },
      ]);
      return afterView;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(after.name);
    throw error;
  }
}
