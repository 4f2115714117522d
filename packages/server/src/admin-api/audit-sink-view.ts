import type { Kysely } from 'kysely';
import { type SinkSettings, formatSyslogTarget, isSyslog } from '../audit/sinks/settings.js';
import { firstUndelivered } from '../storage/audit-sinks.js';
import type { AuditSinkRow, Database } from '../storage/tables.js';
import { timestamp } from './views.js';

/** Hides the query values of a webhook URL, since some receivers take an API key there. */
function redactedUrl(raw: string): string {
  const url = new URL(raw);
  for (const key of new Set(url.searchParams.keys())) url.searchParams.set(key, 'redacted');
  return url.href;
}

/** Builds a sink's configuration without its secret, which audit events record before and after a change. */
export function sinkConfigView(row: AuditSinkRow) {
  const settings = JSON.parse(row.settings) as SinkSettings;
  const base = { id: row.id, name: row.name, type: row.type, enabled: row.enabled === 1 };
  if (!isSyslog(settings)) return { ...base, target: redactedUrl(settings.url) };
  return { ...base, target: formatSyslogTarget(settings), tls: settings.tls, caCertificate: settings.caCertificate, facility: settings.facility, appName: settings.appName };
}

/**
 * Builds the API view of a sink, with its configuration and its delivery state. `lag` is the
 * number of seqs between the sink's cursor and the newest event.
 */
export async function sinkView(db: Kysely<Database>, row: AuditSinkRow, headSeq: number, now: number) {
  const cursor = Number(row.cursor_seq);
  const oldest = cursor < headSeq ? await firstUndelivered(db, cursor) : undefined;
  return {
    ...sinkConfigView(row),
    cursor,
    headSeq,
    lag: Math.max(0, headSeq - cursor),
    oldestUndeliveredAt: timestamp(oldest?.occurred_at),
    oldestUndeliveredAgeSeconds: oldest ? Math.max(0, Math.floor((now - Number(oldest.occurred_at)) / 1000)) : null,
    lastDeliveredAt: timestamp(row.last_delivered_at),
    lastAttemptAt: timestamp(row.last_attempt_at),
    lastError: row.last_error,
    failures: row.failures,
    nextAttemptAt: timestamp(row.next_attempt_at),
    createdAt: timestamp(row.created_at),
    updatedAt: timestamp(row.updated_at),
  };
}
