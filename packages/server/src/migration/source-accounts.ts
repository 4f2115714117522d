/**
 * The human accounts of an export, as both import formats describe them, and the checks on
 * their fields that the JSON and the CSV parser share.
 */

export const PERMISSIONS = ['read', 'write', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Keys of a JSON access entry and the resource type each fills; CSV names the type itself. */
export const RESOURCE_KEYS: Record<string, string> = {
  projects: 'project',
  spaces: 'space',
  repositories: 'repository',
  deploymentProjects: 'deployment-project',
  resources: 'resource',
};
export const RESOURCE_TYPES = Object.values(RESOURCE_KEYS);

/** Access of one human account on one instance: resource type to resource id to permission. */
export interface SourceAccess {
  instance: string;
  resources: Record<string, Record<string, Permission>>;
}

export interface SourceAccount {
  name: string;
  email: string;
  groups: string[];
  /** An owner the export names for the new account, taking precedence over the owner mapping. */
  owner?: string;
  access: SourceAccess[];
}

/** One bad entry of an export: the CSV line when there is one, the field, and how to fix it. */
export interface ImportIssue {
  line?: number;
  field: string;
  message: string;
}

/** Maximum number of issues one response lists; an export with more is usually in the wrong format altogether. */
export const MAX_ISSUES = 100;
export const MAX_ACCOUNTS = 5000;

export class ImportInvalid extends Error {
  override name = 'ImportInvalid';

  constructor(readonly issues: ImportIssue[]) {
    super(`The export has ${issues.length} invalid entr${issues.length === 1 ? 'y' : 'ies'}.`);
  }
}

/** Collects issues and stops the parse once there are too many to be useful. */
export class IssueList {
  readonly issues: ImportIssue[] = [];

  add(field: string, message: string, line?: number): void {
    if (this.issues.length < MAX_ISSUES) this.issues.push({ ...(line === undefined ? {} : { line }), field, message });
  }

  get full(): boolean {
    return this.issues.length >= MAX_ISSUES;
  }

  throwIfAny(): void {
    if (this.issues.length > 0) throw new ImportInvalid(this.issues);
  }
}

// Printable text without control characters or bidirectional overrides, and no surrounding spaces.
const TEXT = /^[^\s\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069](?:[^\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069])?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Checks a text field and returns a message about what is wrong, or undefined when it is fine. */
export function textProblem(value: string, what: string, maxLength: number): string | undefined {
  if (value === '') return `${what} is empty; fill it in.`;
  if (value.length > maxLength) return `${what} is longer than ${maxLength} characters; shorten it.`;
  if (!TEXT.test(value)) return `${what} "${value.slice(0, 100)}" starts or ends with whitespace or contains control characters; remove them.`;
  return undefined;
}

export function emailProblem(value: string): string | undefined {
  return textProblem(value, 'email', 254) ?? (EMAIL.test(value) ? undefined : `email "${value.slice(0, 100)}" is not an email address such as jenkins@example.com.`);
}

export function permissionProblem(value: string): string | undefined {
  return (PERMISSIONS as readonly string[]).includes(value) ? undefined : `permission "${value.slice(0, 100)}" is unknown; use one of: ${PERMISSIONS.join(', ')}.`;
}

/** Rejects a second account with the same name, ignoring case, as service-account names do. */
export function checkUniqueNames(accounts: Array<{ name: string; field: string; line?: number }>, issues: IssueList): void {
  const seen = new Map<string, string>();
  for (const account of accounts) {
    const key = account.name.toLowerCase();
    const first = seen.get(key);
    const where = account.line === undefined ? account.field : `line ${account.line}, name:`;
    if (first !== undefined) issues.add(account.field, `${where} "${account.name}" appears again (first at ${first}); each human account appears once, with all its access.`, account.line);
    else seen.set(key, account.line === undefined ? account.field : `line ${account.line}`);
  }
}
