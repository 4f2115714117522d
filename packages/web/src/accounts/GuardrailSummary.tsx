import type { ServiceAccount } from '../api/types';
import { Time } from '../components/Time';

// A review date is a calendar day, so it is formatted in UTC, where the server stores it at midnight.
const calendarDay = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

function RateLimitText({ account }: { account: ServiceAccount }) {
  const limit = account.rateLimit;
  if (!limit) return <span className="muted">No limit</span>;
  const parts = [limit.perMinute !== null ? `${limit.perMinute} per minute` : '', limit.perDay !== null ? `${limit.perDay} per day` : ''].filter(Boolean);
  return (
    <>
      {parts.join(', ')} token requests{limit.mode === 'log_only' ? ', excess only recorded in the audit log' : ', excess rejected'}
    </>
  );
}

/** Renders the guardrail fields of an account as rows of a description list. */
export function GuardrailSummary({ account }: { account: ServiceAccount }) {
  return (
    <>
      <dt>Purpose</dt>
      <dd className="preserve-lines">{account.purpose || <span className="muted">None</span>}</dd>
      <dt>Contacts</dt>
      <dd>
        {account.contacts.length === 0 ? (
          <span className="muted">None</span>
        ) : (
          <ul className="plain-list">
            {account.contacts.map((contact) => (contact.type === 'email' ? <li key={`email:${contact.address}`}>{contact.address} (email)</li> : <li key={`webhook:${contact.url}`}>{contact.url} (webhook)</li>))}
          </ul>
        )}
      </dd>
      <dt>Review date</dt>
      <dd>{account.reviewDate ? calendarDay.format(new Date(`${account.reviewDate}T00:00:00Z`)) : <span className="muted">None</span>}</dd>
      <dt>IP allowlist</dt>
      <dd>
        {account.ipAllowlist ? (
          <ul className="plain-list">
            {account.ipAllowlist.map((block) => (
              <li key={block}>
                <code>{block}</code>
              </li>
            ))}
          </ul>
        ) : (
          <span className="muted">The policy's default</span>
        )}
      </dd>
      <dt>Rate limit</dt>
      <dd>
        <RateLimitText account={account} />
      </dd>
      <dt>DPoP</dt>
      <dd>{account.dpopBound ? 'Required: tokens are bound to a client key' : <span className="muted">Not required</span>}</dd>
      {account.dormantSince ? (
        <>
          <dt>Dormant since</dt>
          <dd>
            <Time value={account.dormantSince} format="datetime" />
          </dd>
        </>
      ) : null}
    </>
  );
}
