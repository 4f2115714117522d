import { CsvSyntaxError, parseCsv } from './csv.js';
import { type IssueList, MAX_ACCOUNTS, type Permission, RESOURCE_TYPES, type SourceAccount, checkUniqueNames, emailProblem, permissionProblem, textProblem } from './source-accounts.js';

export const CSV_REQUIRED_COLUMNS = ['name', 'email', 'groups', 'instance', 'resourceType', 'resourceId', 'permission'];
export const CSV_OPTIONAL_COLUMNS = ['owner'];
const MAX_ROWS = 100_000;

interface Row {
  line: number;
  values: Record<string, string>;
}

/** Checks the header line: every required column once, no unknown column. */
function readHeader(cells: string[], issues: IssueList): boolean {
  const known = new Set([...CSV_REQUIRED_COLUMNS, ...CSV_OPTIONAL_COLUMNS]);
  const seen = new Set<string>();
  for (const cell of cells) {
    if (!known.has(cell)) issues.add(cell, `line 1: column "${cell.slice(0, 100)}" is unknown; the columns are ${CSV_REQUIRED_COLUMNS.join(',')} and optionally owner.`, 1);
    else if (seen.has(cell)) issues.add(cell, `line 1: column "${cell}" appears twice; keep one.`, 1);
    seen.add(cell);
  }
  for (const column of CSV_REQUIRED_COLUMNS) {
    if (!seen.has(column)) issues.add(column, `line 1: column "${column}" is missing; the header must be ${CSV_REQUIRED_COLUMNS.join(',')}.`, 1);
  }
  return issues.issues.length === 0;
}

function checkRow(row: Row, issues: IssueList): boolean {
  const before = issues.issues.length;
  const { line, values } = row;
  const add = (field: string, message: string) => issues.add(field, `line ${line}, ${field}: ${message}`, line);

  for (const [column, maxLength] of [['name', 96], ['instance', 200], ['resourceId', 255]] as const) {
    const problem = textProblem(values[column], column, maxLength);
    if (problem) add(column, problem);
  }
  const emailIssue = emailProblem(values.email);
  if (emailIssue) add('email', emailIssue);
  if (!RESOURCE_TYPES.includes(values.resourceType)) add('resourceType', `"${values.resourceType.slice(0, 100)}" is not a resource type; use one of: ${RESOURCE_TYPES.join(', ')}.`);
  const permissionIssue = permissionProblem(values.permission);
  if (permissionIssue) add('permission', permissionIssue);
  for (const group of splitGroups(values.groups)) {
    const problem = textProblem(group, 'group', 200);
    if (problem) add('groups', `${problem} Separate groups with ";".`);
  }
  if (values.owner) {
    const problem = textProblem(values.owner, 'owner', 200);
    if (problem) add('owner', problem);
  }
  return issues.issues.length === before;
}

function splitGroups(cell: string): string[] {
  return cell === '' ? [] : cell.split(';').map((group) => group.trim());
}

/** Adds one row's resource to its account, reporting a row that contradicts or repeats an earlier one. */
function mergeRow(account: SourceAccount & { line: number }, row: Row, seen: Map<string, number>, issues: IssueList): void {
  const { line, values } = row;
  const groups = splitGroups(values.groups);
  if (values.email !== account.email) issues.add('email', `line ${line}, email: "${values.email}" differs from "${account.email}" on line ${account.line} for the same name; one account has one email.`, line);
  if (groups.join(';') !== account.groups.join(';')) issues.add('groups', `line ${line}, groups: "${values.groups}" differs from line ${account.line} for the same name; repeat the same groups on every row.`, line);
  if ((values.owner || undefined) !== account.owner) issues.add('owner', `line ${line}, owner: differs from line ${account.line} for the same name; repeat the same owner on every row.`, line);

  const key = JSON.stringify([account.name.toLowerCase(), values.instance, values.resourceType, values.resourceId]);
  const first = seen.get(key);
  if (first !== undefined) {
    issues.add('resourceId', `line ${line}, resourceId: "${values.resourceId}" on ${values.instance} is listed again (first on line ${first}); keep one row with the highest permission.`, line);
    return;
  }
  seen.set(key, line);

  let access = account.access.find((entry) => entry.instance === values.instance);
  if (!access) {
    access = { instance: values.instance, resources: {} };
    account.access.push(access);
  }
  access.resources[values.resourceType] ??= {};
  access.resources[values.resourceType][values.resourceId] = values.permission as Permission;
}

/**
 * Reads a CSV export: a header line, then one row per resource a human account can reach.
 * Rows of one account (same name) are merged; every bad row is reported with its line.
 */
export function parseCsvExport(text: string, issues: IssueList): SourceAccount[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    issues.add('body', error.message, error.line);
    return [];
  }

  const [header, ...body] = records;
  if (!header || body.length === 0) {
    issues.add('body', 'The CSV has no rows; send a header line and one row per reachable resource.');
    return [];
  }
  if (body.length > MAX_ROWS) {
    issues.add('body', `The CSV has ${body.length} rows; the maximum is ${MAX_ROWS}, so split the export.`);
    return [];
  }
  if (header.line !== 1 || !readHeader(header.cells, issues)) return [];

  const accounts = new Map<string, SourceAccount & { line: number }>();
  const seen = new Map<string, number>();
  for (const record of body) {
    if (issues.full) break;
    if (record.cells.length !== header.cells.length) {
      issues.add('body', `line ${record.line}: the row has ${record.cells.length} cells but the header has ${header.cells.length}; quote cells that contain commas.`, record.line);
      continue;
    }
    const row: Row = { line: record.line, values: Object.fromEntries(header.cells.map((column, index) => [column, record.cells[index]])) };
    if (!checkRow(row, issues)) continue;

    const key = row.values.name;
    let account = accounts.get(key);
    if (!account) {
      account = { name: key, email: row.values.email, groups: splitGroups(row.values.groups), ...(row.values.owner ? { owner: row.values.owner } : {}), access: [], line: row.line };
      accounts.set(key, account);
    }
    mergeRow(account, row, seen, issues);
  }

  const list = [...accounts.values()];
  checkUniqueNames(list.map((account) => ({ name: account.name, field: 'name', line: account.line })), issues);
  if (list.length > MAX_ACCOUNTS) issues.add('body', `The CSV describes ${list.length} accounts; the maximum is ${MAX_ACCOUNTS}, so split the export.`);
  return list.map(({ line: _line, ...account }) => account);
}
