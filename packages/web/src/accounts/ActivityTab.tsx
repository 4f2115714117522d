import type { ServiceAccount, TokenUsageDay } from '../api/types';
import { useResource } from '../api/use-resource';
import { AuditEventList } from '../audit/AuditEventList';
import { auditHref } from '../audit/audit-query';
import { LoadError, Loading } from '../components/LoadState';
import { Link } from '../router';
import { UsageChart } from './UsageChart';
import { useAccountEvents } from './use-account-events';

const USAGE_DAYS = 30;

/** Token requests per day over the last 30 days, and the account's newest audit events. */
export function ActivityTab({ account }: { account: ServiceAccount }) {
  const usage = useResource<{ items: TokenUsageDay[] }>(`/service-accounts/${encodeURIComponent(account.id)}/token-usage?days=${USAGE_DAYS}`);
  const events = useAccountEvents(account.id);

  return (
    <div className="activity">
      <section aria-labelledby="usage-title">
        <h2 id="usage-title">Token requests, last {USAGE_DAYS} days</h2>
        {usage.problem ? <LoadError problem={usage.problem} retry={usage.reload} /> : null}
        {usage.loading && !usage.data ? <Loading what="token usage" /> : null}
        {usage.data ? <UsageChart days={usage.data.items} /> : null}
      </section>
      <section aria-labelledby="events-title">
        <div className="section-header">
          <h2 id="events-title">Audit events</h2>
          <Link to={auditHref({ actor: account.id })}>Open the events it caused in the audit log</Link>
        </div>
        {events.problem ? <LoadError problem={events.problem} retry={events.reload} /> : null}
        {!events.events && !events.problem ? <Loading what="audit events" /> : null}
        {events.events && events.events.length === 0 ? <p className="empty-inline">No audit events for this account yet.</p> : null}
        {events.events && events.events.length > 0 ? <AuditEventList events={events.events} caption={`Audit events of ${account.name}`} /> : null}
      </section>
    </div>
  );
}
