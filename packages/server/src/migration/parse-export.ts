import { parseCsvExport } from './parse-csv.js';
import { parseJsonExport } from './parse-json.js';
import { IssueList, type SourceAccount } from './source-accounts.js';

export interface ParsedExport {
  format: 'json' | 'csv';
  accounts: SourceAccount[];
  owners: Record<string, string>;
}

/** Reads an export in either format and throws ImportInvalid listing every bad entry, so that nothing is half-imported. */
export function parseExport(body: unknown, format: 'json' | 'csv'): ParsedExport {
  const issues = new IssueList();
  const parsed = format === 'csv' ? { accounts: parseCsvExport(String(body ?? ''), issues), owners: {} } : parseJsonExport(body, issues);
  issues.throwIfAny();
  return { format, ...parsed };
}
