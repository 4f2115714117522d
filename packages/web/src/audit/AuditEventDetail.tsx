import type { AuditEvent } from '../api/types';
import { Time } from '../components/Time';
import { Link } from '../router';
import { auditHref } from './audit-query';

function Json({ value }: { value: unknown }) {
  return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
}

/** Everything an audit event records, with the state before and after a change side by side. */
export function AuditEventDetail({ event }: { event: AuditEvent }) {
  const details = event.details ?? {};
  const { before, after, ...rest } = details as { before?: unknown; after?: unknown } & Record<string, unknown>;
  const hasRest = Object.keys(rest).length > 0;

  return (
    <div className="event-detail">
      <dl className="details details-compact">
        <dt>Event</dt>
        <dd>
          {event.id} at <Time value={event.occurredAt} format="datetime" />
        </dd>
        <dt>Actor</dt>
        <dd>
          {event.actor.type} {event.actor.name ? <strong>{event.actor.name}</strong> : null} {event.actor.id ? <code>{event.actor.id}</code> : null}
          {event.actor.credentialId ? (
            <>
              {' '}
              with credential <code>{event.actor.credentialId}</code>
            </>
          ) : null}
          {event.actor.id ? (
            <>
              {' '}
              <Link to={auditHref({ actor: event.actor.id })}>Events by this actor</Link>
            </>
          ) : null}
        </dd>
        {event.target ? (
          <>
            <dt>Target</dt>
            <dd>
              {event.target.type} {event.target.name ? <strong>{event.target.name}</strong> : null} {event.target.id ? <code>{event.target.id}</code> : null}
              {event.target.id ? (
                <>
                  {' '}
                  <Link to={auditHref({ target: event.target.id })}>Events on this target</Link>
                </>
              ) : null}
            </dd>
          </>
        ) : null}
        {event.reason ? (
          <>
            <dt>Reason</dt>
            <dd>
              <code>{event.reason}</code>
            </dd>
          </>
        ) : null}
        <dt>Source</dt>
        <dd>
          {event.source.ip ?? 'unknown address'}
          {event.source.userAgent ? <span className="muted"> · {event.source.userAgent}</span> : null}
        </dd>
        <dt>Hash</dt>
        <dd>
          <code className="hash">{event.hash}</code>
        </dd>
      </dl>
      {before !== undefined || after !== undefined ? (
        <div className="before-after">
          <div>
            <h4>Before</h4>
            {before !== undefined ? <Json value={before} /> : <p className="muted">Nothing before: created here.</p>}
          </div>
          <div>
            <h4>After</h4>
            {after !== undefined ? <Json value={after} /> : <p className="muted">Nothing after: deleted here.</p>}
          </div>
        </div>
      ) : null}
      {hasRest ? (
        <div>
          <h4>Details</h4>
          <Json value={rest} />
        </div>
      ) : null}
    </div>
  );
}
