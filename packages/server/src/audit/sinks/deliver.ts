import type { Kysely } from 'kysely';
import type { KeyMaterial } from '../../crypto/master-key.js';
import type { AuditEventRow, AuditSinkRow, Database } from '../../storage/tables.js';
import { sinkEvents } from './event-payload.js';
import { type SinkSettings, type SyslogSettings, type WebhookSettings } from './settings.js';
import { sendSyslog, syslogMessage } from './syslog.js';
import { sendWebhook } from './webhook.js';

/** Sends one batch of events to a sink; resolves once the sink has them, throws otherwise. */
export async function deliverBatch(db: Kysely<Database>, keyMaterial: KeyMaterial, sink: AuditSinkRow, rows: AuditEventRow[], nowMs: number, signal: AbortSignal): Promise<void> {
  const settings = JSON.parse(sink.settings) as SinkSettings;
  const events = await sinkEvents(db, rows);

  if (sink.type === 'syslog') {
    const syslog = settings as SyslogSettings;
    await sendSyslog(syslog, events.map((event) => syslogMessage(event, syslog)), signal);
    return;
  }

  const secret = keyMaterial.decrypt(sink.secret!).toString('utf8');
  await sendWebhook((settings as WebhookSettings).url, secret, { sink: { id: sink.id, name: sink.name }, events }, nowMs, signal);
}
