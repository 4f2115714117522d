import { queryString } from '../api/client';

/** Audit-log filters as the API takes them; `from` and `to` are RFC 3339 timestamps. */
export interface AuditFilters {
  actor?: string;
  action?: string;
  target?: string;
  outcome?: '' | 'success' | 'failure';
  from?: string;
  to?: string;
}

const KEYS = ['actor', 'action', 'target', 'outcome', 'from', 'to'] as const;

export function readAuditFilters(search: URLSearchParams): AuditFilters {
  const filters: AuditFilters = {};
  for (const key of KEYS) {
    const value = search.get(key);
    if (value) (filters as Record<string, string>)[key] = value;
  }
  return filters;
}

export function auditQuery(filters: AuditFilters, extra: Record<string, string | number | undefined> = {}): string {
  return queryString({ ...filters, ...extra });
}

/** Returns the panel URL of the audit log with these filters. */
export function auditHref(filters: AuditFilters): string {
  return `/audit${auditQuery(filters)}`;
}

/** Returns the export download URL for these filters. */
export function exportHref(filters: AuditFilters, format: 'jsonl' | 'csv'): string {
  return `/api/v1/audit-events/export${auditQuery(filters, { format })}`;
}
