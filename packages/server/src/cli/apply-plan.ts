import type { AccountSpec, ApplyFile, InstanceSpec } from './apply-file.js';
import { ApiError, type AdminApiClient } from './apply-http.js';

export type PlanAction = 'create' | 'update' | 'unchanged' | 'delete';

export interface PlanItem {
  kind: 'instance' | 'policy' | 'account';
  /** Slug of an instance, name of an account, or `organisation` for the policy. */
  name: string;
  action: PlanAction;
  /** Place of the object in the file, for error messages; empty for an object only on the server. */
  path: string;
  /** Fields that change, for an update. */
  changes: string[];
  /** Reason an update could not be checked in advance. */
  note?: string;
  /** Id on the server, for updates and deletions. */
  id?: string;
  /** Request body of a create or update. */
  body?: Record<string, unknown>;
}

/** Problem codes that mean the file describes something the server does not accept. */
const FILE_PROBLEMS = new Set(['validation_failed', 'invalid_json', 'unknown_instance', 'unknown_scope', 'unknown_resource_type', 'admin_scope_not_allowed', 'policy_violation', 'duplicate_grant']);

/** Tells whether a server error is a fault of the file rather than of the run. */
export function isFileProblem(error: unknown): boolean {
  return error instanceof ApiError && FILE_PROBLEMS.has(error.problem.code ?? '');
}

/** Stores the place in the file on a server error, so that the message names it, such as `accounts[2].access[0].scopes`. */
export function locate(error: unknown, path: string): never {
  if (error instanceof ApiError) (error as ApiError & { filePath?: string }).filePath = [path, error.problem.field].filter(Boolean).join('.');
  throw error;
}

/** Normalises an audience as the server stores it: the URL without trailing slashes. */
function normaliseAudience(raw: string): string {
  try {
    return new URL(raw).href.replace(/\/+$/, '');
  } catch {
    return raw;
  }
}

async function listAllAccounts(client: AdminApiClient): Promise<Array<{ id: string; name: string }>> {
  const accounts: Array<{ id: string; name: string }> = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page = await client.request('GET', `/service-accounts?limit=100${query}`);
    accounts.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return accounts;
}

function planInstance(spec: InstanceSpec, index: number, current: any): PlanItem {
  const path = `instances[${index}]`;
  if (!current) return { kind: 'instance', name: spec.slug, action: 'create', path, changes: [], body: { ...spec } };

  if (current.profile !== spec.profile) {
    const detail = `the profile of instance "${spec.slug}" is ${current.profile} and cannot change; create an instance with a new slug instead.`;
    locate(new ApiError(400, { code: 'validation_failed', detail, field: 'profile' }, 'plan'), path);
  }

  const desired: Record<string, unknown> = { name: spec.name, audience: spec.audience, accessTokenLifetimeSeconds: spec.accessTokenLifetimeSeconds ?? null, tokenFormat: spec.tokenFormat ?? 'jwt' };
  const changes = Object.keys(desired).filter((field) => (field === 'audience' ? normaliseAudience(spec.audience) !== current.audience : desired[field] !== current[field]));
  const body = Object.fromEntries(changes.map((field) => [field, desired[field]]));
  return { kind: 'instance', name: spec.slug, action: changes.length > 0 ? 'update' : 'unchanged', path, changes, id: current.id, body };
}

/** Account fields that PUT takes: the file entry without the credential request. */
export function desiredAccount(spec: AccountSpec): Record<string, unknown> {
  const { credential: _credential, ...desired } = spec;
  return desired;
}

function referencedInstances(spec: AccountSpec): string[] {
  return (spec.access ?? []).map((grant) => grant.instance);
}

/**
 * Rejects a grant on an instance that neither the server nor the file has, before anything is
 * applied. The server checks scopes and resources later, because they need the profile.
 */
function requireKnownInstances(file: ApplyFile, known: Set<string>): void {
  (file.accounts ?? []).forEach((spec, index) => {
    (spec.access ?? []).forEach((grant, grantIndex) => {
      if (known.has(grant.instance)) return;
      const detail = `instance "${grant.instance}" is neither on the server nor in the file's instances; add it to instances or fix the slug.`;
      locate(new ApiError(400, { code: 'unknown_instance', detail, field: `access[${grantIndex}].instance` }, 'plan'), `accounts[${index}]`);
    });
  });
}

/**
 * Computes what `apply` would do. The server itself compares existing accounts and the policy
 * through a dry run of their PUT, so that defaults and normalisation match exactly. Instances
 * are compared here field by field.
 */
export async function computePlan(client: AdminApiClient, file: ApplyFile, prune: boolean): Promise<PlanItem[]> {
  const plan: PlanItem[] = [];

  const instances = (await client.request('GET', '/instances')).body.items as any[];
  const bySlug = new Map(instances.map((item) => [item.slug, item]));
  (file.instances ?? []).forEach((spec, index) => plan.push(planInstance(spec, index, bySlug.get(spec.slug))));
  const newInstances = new Set(plan.filter((item) => item.action === 'create').map((item) => item.name));
  requireKnownInstances(file, new Set([...instances.flatMap((item) => [item.slug, item.id]), ...newInstances]));

  if (file.policy) {
    const pending = Object.keys(file.policy.scopes?.allowedByInstance ?? {}).filter((slug) => newInstances.has(slug));
    if (pending.length > 0) {
      plan.push({ kind: 'policy', name: 'organisation', action: 'update', path: 'policy', changes: [], note: `checked once instance ${pending.join(', ')} exists`, body: file.policy });
    } else {
      const result = await client.request('PUT', '/policy?dryRun=true', file.policy).catch((error) => locate(error, 'policy'));
      const changes = result.body.changes as string[];
      plan.push({ kind: 'policy', name: 'organisation', action: changes.length > 0 ? 'update' : 'unchanged', path: 'policy', changes, body: file.policy });
    }
  }

  const accounts = await listAllAccounts(client);
  const byName = new Map(accounts.map((item) => [item.name, item]));
  for (const [index, spec] of (file.accounts ?? []).entries()) {
    const path = `accounts[${index}]`;
    const current = byName.get(spec.name);
    if (!current) {
      plan.push({ kind: 'account', name: spec.name, action: 'create', path, changes: [], body: { ...spec } });
      continue;
    }

    const pending = referencedInstances(spec).filter((slug) => newInstances.has(slug));
    if (pending.length > 0) {
      plan.push({ kind: 'account', name: spec.name, action: 'update', path, changes: ['access'], note: `checked once instance ${pending.join(', ')} exists`, id: current.id, body: desiredAccount(spec) });
      continue;
    }
    const result = await client.request('PUT', `/service-accounts/${encodeURIComponent(current.id)}?dryRun=true`, desiredAccount(spec)).catch((error) => locate(error, path));
    const changes = result.body.changes as string[];
    plan.push({ kind: 'account', name: spec.name, action: changes.length > 0 ? 'update' : 'unchanged', path, changes, id: current.id, body: desiredAccount(spec) });
  }

  // Only sections the file has are pruned, so that a file about accounts alone never deletes instances.
  if (prune && file.accounts) {
    const wanted = new Set(file.accounts.map((spec) => spec.name));
    for (const account of accounts.filter((item) => !wanted.has(item.name))) plan.push({ kind: 'account', name: account.name, action: 'delete', path: '', changes: [], id: account.id });
  }
  if (prune && file.instances) {
    const wanted = new Set(file.instances.map((spec) => spec.slug));
    // The server creates its own admin API instance at every start, so no file lists it or may delete it.
    const prunable = instances.filter((item) => !wanted.has(item.slug) && item.profile !== 'tessera');
    for (const instance of prunable) plan.push({ kind: 'instance', name: instance.slug, action: 'delete', path: '', changes: [], id: instance.id });
  }
  return plan;
}

const SYMBOLS: Record<PlanAction, string> = { create: '+', update: '~', unchanged: '=', delete: '-' };

/** Formats one plan line, such as `~ update account etl-export: description, access`. */
export function formatPlanItem(item: PlanItem): string {
  const subject = item.kind === 'policy' ? 'policy' : `${item.kind} ${item.name}`;
  const details = item.changes.length > 0 ? `: ${item.changes.join(', ')}` : '';
  const note = item.note ? ` (${item.note})` : '';
  return `${SYMBOLS[item.action]} ${item.action} ${subject}${details}${note}`;
}

export function summarisePlan(plan: PlanItem[]): string {
  const count = (action: PlanAction) => plan.filter((item) => item.action === action).length;
  return `Plan: ${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ${count('unchanged')} unchanged.`;
}
