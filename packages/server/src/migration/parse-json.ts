import { type IssueList, MAX_ACCOUNTS, type Permission, RESOURCE_KEYS, type SourceAccess, type SourceAccount, checkUniqueNames, emailProblem, permissionProblem, textProblem } from './source-accounts.js';

export interface JsonExport {
  accounts: SourceAccount[];
  /** Owner by source account name, email or group name, for accounts that name no owner. */
  owners: Record<string, string>;
}

const ACCOUNT_KEYS = new Set(['name', 'email', 'groups', 'owner', 'access']);
const MAX_RESOURCES = 1000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a required or optional text field and reports what is wrong with it. */
function readText(object: Record<string, unknown>, key: string, field: string, issues: IssueList, options: { required: boolean; maxLength: number }): string | undefined {
  const value = object[key];
  if (value === undefined) {
    if (options.required) issues.add(field, `${field} is required; add it.`);
    return undefined;
  }
  if (typeof value !== 'string') {
    issues.add(field, `${field} must be a string.`);
    return undefined;
  }
  const problem = textProblem(value, field, options.maxLength);
  if (problem) issues.add(field, problem);
  return problem ? undefined : value;
}

function readResources(value: unknown, field: string, issues: IssueList): Record<string, Permission> | undefined {
  if (!isObject(value)) {
    issues.add(field, `${field} must be an object mapping each id to a permission, such as {"ABC": "write"}.`);
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_RESOURCES) issues.add(field, `${field} lists ${entries.length} ids; the maximum is ${MAX_RESOURCES}, so use {"*": "<permission>"} for all.`);

  const result: Record<string, Permission> = {};
  let valid = entries.length <= MAX_RESOURCES;
  for (const [id, permission] of entries) {
    const idField = `${field}.${id}`;
    const idProblem = textProblem(id, `${field} id`, 255);
    if (idProblem) issues.add(idField, idProblem);
    const permissionIssue = typeof permission === 'string' ? permissionProblem(permission) : `permission must be a string: read, write or admin.`;
    if (permissionIssue) issues.add(idField, `${idField}: ${permissionIssue}`);
    if (!idProblem && !permissionIssue) result[id] = permission as Permission;
    else valid = false;
  }
  return valid ? result : undefined;
}

function readAccess(value: unknown, field: string, issues: IssueList): SourceAccess | undefined {
  if (!isObject(value)) {
    issues.add(field, `${field} must be an object such as {"instance": "jira", "projects": {"ABC": "read"}}.`);
    return undefined;
  }

  const instance = readText(value, 'instance', `${field}.instance`, issues, { required: true, maxLength: 200 });
  const resources: SourceAccess['resources'] = {};
  let faulty = false;
  for (const [key, map] of Object.entries(value)) {
    if (key === 'instance') continue;
    const type = RESOURCE_KEYS[key];
    if (!type) {
      issues.add(`${field}.${key}`, `${field}.${key} is not a known field; use instance and one or more of: ${Object.keys(RESOURCE_KEYS).join(', ')}.`);
      faulty = true;
      continue;
    }
    const read = readResources(map, `${field}.${key}`, issues);
    if (read) resources[type] = read;
    else faulty = true;
  }

  const listed = Object.values(resources).reduce((count, map) => count + Object.keys(map).length, 0);
  if (listed === 0 && !faulty) issues.add(field, `${field} lists no resource; add at least one of ${Object.keys(RESOURCE_KEYS).join(', ')} with an id and its permission.`);
  return instance === undefined ? undefined : { instance, resources };
}

function readGroups(value: unknown, field: string, issues: IssueList): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    issues.add(field, `${field} must be a list of group names.`);
    return [];
  }
  return value.flatMap((group, index) => {
    const problem = typeof group === 'string' ? textProblem(group, `${field}[${index}]`, 200) : `${field}[${index}] must be a string.`;
    if (problem) issues.add(`${field}[${index}]`, problem);
    return problem ? [] : [group as string];
  });
}

function readAccount(value: unknown, field: string, issues: IssueList): SourceAccount | undefined {
  if (!isObject(value)) {
    issues.add(field, `${field} must be an object with name, email, groups and access.`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!ACCOUNT_KEYS.has(key)) issues.add(`${field}.${key}`, `${field}.${key} is not a known field; remove it or check its spelling.`);
  }

  const name = readText(value, 'name', `${field}.name`, issues, { required: true, maxLength: 96 });
  const email = readText(value, 'email', `${field}.email`, issues, { required: true, maxLength: 254 });
  const emailIssue = email === undefined ? undefined : emailProblem(email);
  if (emailIssue) issues.add(`${field}.email`, `${field}.${emailIssue}`);
  const owner = readText(value, 'owner', `${field}.owner`, issues, { required: false, maxLength: 200 });
  const groups = readGroups(value.groups, `${field}.groups`, issues);

  if (!Array.isArray(value.access)) {
    issues.add(`${field}.access`, `${field}.access must be a list of {"instance", "projects" | "spaces" | "repositories" ...} entries.`);
    return undefined;
  }
  const access = value.access.map((entry, index) => readAccess(entry, `${field}.access[${index}]`, issues));
  const seen = new Set<string>();
  access.forEach((entry, index) => {
    if (!entry) return;
    if (seen.has(entry.instance)) issues.add(`${field}.access[${index}].instance`, `${field}.access[${index}].instance "${entry.instance}" appears twice; merge its resources into one entry.`);
    seen.add(entry.instance);
  });

  if (name === undefined || email === undefined || emailIssue || access.some((entry) => !entry)) return undefined;
  return { name, email, groups, ...(owner === undefined ? {} : { owner }), access: access as SourceAccess[] };
}

function readOwners(value: unknown, issues: IssueList): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) {
    issues.add('owners', 'owners must be an object mapping an account name, email or group to an owner.');
    return {};
  }
  for (const [key, owner] of Object.entries(value)) {
    const problem = typeof owner === 'string' ? textProblem(owner, `owners.${key}`, 200) : `owners.${key} must be a string.`;
    if (problem) issues.add(`owners.${key}`, problem);
  }
  return value as Record<string, string>;
}

/** Reads a JSON export: `{accounts: [...], owners?: {...}}`, reporting every bad entry by its field. */
export function parseJsonExport(body: unknown, issues: IssueList): JsonExport {
  if (!isObject(body)) {
    issues.add('accounts', 'The body must be a JSON object with an "accounts" list.');
    return { accounts: [], owners: {} };
  }
  for (const key of Object.keys(body)) {
    if (key !== 'accounts' && key !== 'owners') issues.add(key, `${key} is not a known field; the export has "accounts" and optionally "owners".`);
  }
  if (!Array.isArray(body.accounts) || body.accounts.length === 0) {
    issues.add('accounts', 'accounts must be a non-empty list of human accounts.');
    return { accounts: [], owners: {} };
  }
  if (body.accounts.length > MAX_ACCOUNTS) {
    issues.add('accounts', `accounts lists ${body.accounts.length} accounts; the maximum is ${MAX_ACCOUNTS}, so split the export.`);
    return { accounts: [], owners: {} };
  }

  const accounts: SourceAccount[] = [];
  const names: Array<{ name: string; field: string }> = [];
  body.accounts.forEach((entry, index) => {
    if (issues.full) return;
    const account = readAccount(entry, `accounts[${index}]`, issues);
    if (!account) return;
    accounts.push(account);
    names.push({ name: account.name, field: `accounts[${index}].name` });
  });
  checkUniqueNames(names, issues);
  return { accounts, owners: readOwners(body.owners, issues) };
}
