import { Fragment, useState } from 'react';
import type { AuditEvent } from '../api/types';
import { Time } from '../components/Time';
import { StatusBadge } from '../accounts/StatusBadge';
import { AuditEventDetail } from './AuditEventDetail';

const TYPE_LABELS: Record<string, string> = { admin: 'Admin', service_account: 'Account', credential: 'Credential', instance: 'Instance', anonymous: 'Anonymous', signing_key: 'Signing key' };

/** Names a party by its current name, or by the start of its id once it no longer exists. */
function describe(party: { type: string; id: string | null; name?: string | null }): string {
  const type = TYPE_LABELS[party.type] ?? party.type;
  if (party.name) return `${type} ${party.name}`;
  return party.id ? `${type} ${party.id.slice(0, 8)}` : type;
}

/** Audit events as a table; each row opens its full record below it. `busy` marks rows that a new query is replacing. */
export function AuditEventList({ events, caption, busy = false }: { events: AuditEvent[]; caption: string; busy?: boolean }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());

  const toggle = (id: string) => {
    const next = new Set(open);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setOpen(next);
  };

  return (
    <div className="table-wrap" aria-busy={busy}>
      <table className="table audit-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Action</th>
            <th scope="col">Actor</th>
            <th scope="col">Target</th>
            <th scope="col">Outcome</th>
            <th scope="col">
              <span className="visually-hidden">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => {
            const expanded = open.has(event.id);
            const detailId = `event-${event.id}-detail`;
            return (
              <Fragment key={event.id}>
                <tr data-event-action={event.action}>
                  <td>
                    <Time value={event.occurredAt} format="seconds" />
                  </td>
                  <td>
                    <code>{event.action}</code>
                  </td>
                  <td title={event.actor.id ?? undefined}>{describe(event.actor)}</td>
                  <td title={event.target?.id ?? undefined}>{event.target ? describe(event.target) : <span className="muted">—</span>}</td>
                  <td>
                    <StatusBadge status={event.outcome} />
                    {event.reason ? <div className="cell-note">{event.reason}</div> : null}
                  </td>
                  <td>
                    <button type="button" className="button button-small" aria-expanded={expanded} aria-controls={detailId} onClick={() => toggle(event.id)}>
                      {expanded ? 'Hide' : 'Details'}
                      <span className="visually-hidden"> of event {event.id}</span>
                    </button>
                  </td>
                </tr>
                {expanded ? (
                  <tr className="detail-row">
                    <td colSpan={6} id={detailId}>
                      <AuditEventDetail event={event} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
