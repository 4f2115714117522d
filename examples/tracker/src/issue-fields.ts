/**
 * Validation of the `fields` and `update` objects of `POST /rest/api/2/issue` and
 * `PUT /rest/api/2/issue/{key}`, with Jira's error messages per field.
 */
import { issueTypeId, priorityId } from './jira-json.js';
import { ISSUE_TYPES, type IssueChanges, type IssueType, PRIORITIES, type Priority } from './store.js';

export const MAX_SUMMARY_LENGTH = 255;
/** Jira's default limit for text fields. */
export const MAX_TEXT_LENGTH = 32_767;
export const MAX_LABELS = 100;
export const MAX_LABEL_LENGTH = 255;

export type FieldErrors = Record<string, string>;

/** The fields an issue update may change; every other field is rejected. */
const EDITABLE_FIELDS = ['summary', 'description', 'issuetype', 'priority', 'labels'] as const;
const CREATE_FIELDS = ['project', ...EDITABLE_FIELDS] as const;

export function fieldCannotBeSet(name: string): string {
  return `Field '${name.slice(0, 100)}' cannot be set. It is not on the appropriate screen, or unknown.`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resolves `{name: "Bug"}` or `{id: "10004"}` against a list of names; undefined when it matches none. */
function resolveNamed<T extends string>(value: unknown, names: readonly T[], idOf: (name: T) => string): T | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.id === 'string') return names.find((name) => idOf(name) === value.id);
  if (typeof value.name === 'string') {
    const wanted = value.name.toLowerCase();
    return names.find((name) => name.toLowerCase() === wanted);
  }
  return undefined;
}

function checkSummary(value: unknown, errors: FieldErrors): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    errors.summary = 'You must specify a summary of the issue.';
    return undefined;
  }
  if (value.length > MAX_SUMMARY_LENGTH) {
    errors.summary = `Summary must be less than ${MAX_SUMMARY_LENGTH} characters.`;
    return undefined;
  }
  return value;
}

function checkDescription(value: unknown, errors: FieldErrors): string | null | undefined {
  if (value === null) return null;
  if (typeof value !== 'string') {
    errors.description = 'Description must be a string.';
    return undefined;
  }
  if (value.length > MAX_TEXT_LENGTH) {
    errors.description = `Description must be less than ${MAX_TEXT_LENGTH} characters.`;
    return undefined;
  }
  return value;
}

function checkIssueType(value: unknown, errors: FieldErrors): IssueType | undefined {
  const type = resolveNamed(value, ISSUE_TYPES, issueTypeId);
  if (!type) errors.issuetype = `Specify a valid issue type: one of ${ISSUE_TYPES.join(', ')}.`;
  return type;
}

function checkPriority(value: unknown, errors: FieldErrors): Priority | undefined {
  const priority = resolveNamed(value, PRIORITIES, priorityId);
  if (!priority) {
    const name = isObject(value) && typeof value.name === 'string' ? value.name.slice(0, 100) : JSON.stringify(value)?.slice(0, 100);
    errors.priority = `Priority name '${name}' is not valid; use one of ${PRIORITIES.join(', ')}.`;
  }
  return priority;
}

function checkLabel(label: unknown, errors: FieldErrors): string | undefined {
  if (typeof label !== 'string' || label === '') {
    errors.labels = 'Each label must be a non-empty string.';
    return undefined;
  }
  if (/\s/.test(label)) {
    errors.labels = `The label '${label.slice(0, 100)}' contains spaces which is invalid.`;
    return undefined;
  }
  if (label.length > MAX_LABEL_LENGTH) {
    errors.labels = `The label '${label.slice(0, 100)}...' exceeds the ${MAX_LABEL_LENGTH} character limit.`;
    return undefined;
  }
  return label;
}

function checkLabels(value: unknown, errors: FieldErrors): string[] | undefined {
  if (!Array.isArray(value)) {
    errors.labels = 'labels must be an array of strings.';
    return undefined;
  }
  const labels: string[] = [];
  for (const item of value) {
    const label = checkLabel(item, errors);
    if (label === undefined) return undefined;
    if (!labels.includes(label)) labels.push(label);
  }
  if (labels.length > MAX_LABELS) {
    errors.labels = `An issue may have at most ${MAX_LABELS} labels.`;
    return undefined;
  }
  return labels;
}

/** Validates one editable field's new value and stores it in `changes`. */
function applyFieldValue(name: (typeof EDITABLE_FIELDS)[number], value: unknown, changes: IssueChanges, errors: FieldErrors): void {
  switch (name) {
    case 'summary':
      changes.summary = checkSummary(value, errors);
      break;
    case 'description':
      changes.description = checkDescription(value, errors);
      break;
    case 'issuetype':
      changes.issueType = checkIssueType(value, errors);
      break;
    case 'priority':
      changes.priority = checkPriority(value, errors);
      break;
    case 'labels':
      changes.labels = checkLabels(value, errors);
      break;
  }
}

function isEditable(name: string): name is (typeof EDITABLE_FIELDS)[number] {
  return (EDITABLE_FIELDS as readonly string[]).includes(name);
}

export interface NewIssueFields {
  /** The project as the request names it: `{key}` or `{id}`; undefined when missing or malformed. */
  projectRef: string | undefined;
  summary: string;
  description: string | null;
  issueType: IssueType;
  priority: Priority;
  labels: string[];
}

/**
 * Validates the `fields` of a new issue. Returns the values and the errors per field; the
 * caller resolves `projectRef` and reports the errors after checking the project.
 */
export function parseNewIssueFields(fields: unknown): { values: NewIssueFields; errors: FieldErrors } {
  // Field names come from the request, so the errors have no prototype for a name such as constructor to hit.
  const errors: FieldErrors = Object.create(null);
  const input = isObject(fields) ? fields : {};
  if (!isObject(fields)) errors.fields = 'fields must be an object with at least project, summary and issuetype.';

  for (const name of Object.keys(input)) {
    if (!(CREATE_FIELDS as readonly string[]).includes(name)) errors[name] = fieldCannotBeSet(name);
  }

  const project = input.project;
  let projectRef: string | undefined;
  if (project === undefined) errors.project = 'project is required';
  else if (isObject(project) && typeof project.key === 'string' && project.key !== '') projectRef = project.key;
  else if (isObject(project) && typeof project.id === 'string' && /^[0-9]+$/.test(project.id)) projectRef = project.id;
  else errors.project = 'Specify a valid project ID or key';

  const changes: IssueChanges = {};
  for (const name of EDITABLE_FIELDS) {
    if (input[name] !== undefined) applyFieldValue(name, input[name], changes, errors);
  }
  if (input.summary === undefined) errors.summary = 'You must specify a summary of the issue.';
  if (input.issuetype === undefined) errors.issuetype = 'issue type is required';

  const values: NewIssueFields = {
    projectRef,
    summary: changes.summary ?? '',
    description: changes.description ?? null,
    issueType: changes.issueType ?? 'Task',
    priority: changes.priority ?? 'Medium',
    labels: changes.labels ?? [],
  };
  return { values, errors };
}

/** Applies the operations of an `update` entry (`set`, `add`, `remove`) to one field. */
function applyOperations(name: string, operations: unknown, current: { labels: string[] }, changes: IssueChanges, errors: FieldErrors): void {
  if (!isEditable(name)) {
    errors[name] = fieldCannotBeSet(name);
    return;
  }
  if (!Array.isArray(operations) || operations.length === 0 || !operations.every(isObject)) {
    errors[name] = `update.${name} must be a non-empty array of operations such as [{"set": ...}].`;
    return;
  }

  let labels = changes.labels ?? [...current.labels];
  for (const operation of operations) {
    const [verb, ...others] = Object.keys(operation);
    if (others.length > 0 || verb === undefined) {
      errors[name] = `Each operation on '${name}' must have exactly one verb.`;
      return;
    }
    if (verb === 'set') {
      applyFieldValue(name, operation.set, changes, errors);
      if (name === 'labels' && changes.labels) labels = changes.labels;
    } else if (name === 'labels' && (verb === 'add' || verb === 'remove')) {
      const label = checkLabel(operation[verb], errors);
      if (label === undefined) return;
      if (verb === 'remove') labels = labels.filter((existing) => existing !== label);
      else if (!labels.includes(label)) labels = [...labels, label];
      if (labels.length > MAX_LABELS) {
        errors.labels = `An issue may have at most ${MAX_LABELS} labels.`;
        return;
      }
      changes.labels = labels;
    } else {
      errors[name] = `Operation '${verb.slice(0, 50)}' is not supported for field '${name}'; use ${name === 'labels' ? 'set, add or remove' : 'set'}.`;
      return;
    }
  }
}

/**
 * Validates the body of an issue update: `fields` sets values, `update` applies operations.
 * A field may appear in one of them only, as in Jira.
 */
export function parseIssueUpdate(body: Record<string, unknown>, current: { labels: string[] }): { changes: IssueChanges; errors: FieldErrors } {
  const errors: FieldErrors = Object.create(null);
  const changes: IssueChanges = {};
  const fields = body.fields ?? {};
  const update = body.update ?? {};

  if (!isObject(fields)) errors.fields = 'fields must be an object.';
  if (!isObject(update)) errors.update = 'update must be an object.';
  if (!isObject(fields) || !isObject(update)) return { changes, errors };

  for (const [name, value] of Object.entries(fields)) {
    if (Object.hasOwn(update, name)) errors[name] = `Field '${name.slice(0, 100)}' cannot appear in both 'fields' and 'update'.`;
    else if (isEditable(name)) applyFieldValue(name, value, changes, errors);
    else errors[name] = fieldCannotBeSet(name);
  }
  for (const [name, operations] of Object.entries(update)) {
    if (!Object.hasOwn(fields, name)) applyOperations(name, operations, current, changes, errors);
  }
  return { changes, errors };
}
