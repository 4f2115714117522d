import { useState } from 'react';
import { api, problemOf, queryString } from '../api/client';
import type { Page, Problem } from '../api/types';
import { useResource } from '../api/use-resource';
import { StatusBadge } from '../accounts/StatusBadge';
import { LoadError, Loading } from '../components/LoadState';
import { Notice } from '../components/Notice';
import { Pager } from '../components/Pager';
import { Time } from '../components/Time';
import { Link } from '../router';
import { useCanEdit } from '../session-context';
import type { NotificationDelivery } from './types';
import { useCursorPages } from './use-cursor-pages';

const PAGE_SIZE = 25;

/** Lists expiry and dormancy notifications sent or pending, newest first, with a retry button for failed ones. */
export function DeliveryHistory() {
  const [status, setStatus] = useState('');
  const pages = useCursorPages(status);
  const list = useResource<Page<NotificationDelivery>>(`/notifications/deliveries${queryString({ status, limit: PAGE_SIZE, cursor: pages.cursor })}`);
  const canEdit = useCanEdit();
  const [retrying, setRetrying] = useState<string>();
  const [result, setResult] = useState<{ kind: 'success' | 'error'; text: string }>();
  const items = list.data?.items ?? [];

  const retry = (delivery: NotificationDelivery) => {
    setRetrying(delivery.id);
    setResult(undefined);
    api
      .post<NotificationDelivery>(`/notifications/deliveries/${encodeURIComponent(delivery.id)}/retry`)
      .then((after) => {
        if (after.status === 'delivered') setResult({ kind: 'success', text: `Delivered to ${after.target}.` });
        else setResult({ kind: 'error', text: `The retry failed: ${after.lastError ?? 'unknown error'}.` });
      })
      .catch((error: unknown) => {
        const problem: Problem = problemOf(error);
        setResult({ kind: 'error', text: problem.detail });
      })
      .finally(() => {
        setRetrying(undefined);
        list.reload();
      });
  };

  return (
    <section className="report-section" aria-labelledby="report-deliveries">
      <div className="section-header">
        <h2 id="report-deliveries">Notification history</h2>
        <div className="field">
          <label htmlFor="delivery-status">Status</label>
          <select id="delivery-status" value={status} onChange={(event) => setStatus(event.target.value)}>
            <option value="">Any</option>
            <option value="pending">Pending</option>
            <option value="delivered">Delivered</option>
            <option value="failed">Failed</option>
          </select>
        </div>
      </div>
      {result ? <Notice kind={result.kind}>{result.text}</Notice> : null}
      {list.problem ? <LoadError problem={list.problem} retry={list.reload} /> : null}
      {list.loading && !list.data ? <Loading what="notification history" /> : null}
      {list.data && items.length === 0 ? <p className="muted">No notifications{status ? ` with status ${status}` : ''}.</p> : null}

      {items.length > 0 ? (
        <div className="table-wrap" aria-busy={list.loading}>
          <table className="table">
            <caption className="visually-hidden">Notification deliveries</caption>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Event</th>
                <th scope="col">Account</th>
                <th scope="col">Recipient</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last error</th>
                {canEdit ? <th scope="col">Action</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((delivery) => (
                <tr key={delivery.id}>
                  <td>
                    <Time value={delivery.createdAt} format="datetime" />
                  </td>
                  <td>
                    <code>{delivery.eventType}</code>
                  </td>
                  <td>
                    {delivery.accountName ? (
                      <Link to={`/service-accounts/${encodeURIComponent(delivery.accountId)}`}>{delivery.accountName}</Link>
                    ) : (
                      <span className="muted">Deleted account</span>
                    )}
                  </td>
                  <td>
                    {delivery.channel === 'email' ? 'Email' : 'Webhook'}: <span className="cell-note">{delivery.target}</span>
                  </td>
                  <td>
                    <StatusBadge status={delivery.status} />
                    {delivery.nextAttemptAt ? (
                      <div className="cell-note">
                        Next attempt <Time value={delivery.nextAttemptAt} />
                      </div>
                    ) : null}
                  </td>
                  <td>{delivery.attempts}</td>
                  <td>{delivery.lastError ? `${delivery.lastError}${delivery.lastStatusCode ? ` (HTTP ${delivery.lastStatusCode})` : ''}` : <span className="muted">—</span>}</td>
                  {canEdit ? (
                    <td>
                      {delivery.status === 'failed' ? (
                        <button type="button" className="button button-small" disabled={retrying !== undefined} onClick={() => retry(delivery)}>
                          {retrying === delivery.id ? 'Retrying…' : 'Retry'}
                        </button>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {list.data && (items.length > 0 || pages.pageNumber > 1) ? (
        <Pager
          summary={`Page ${pages.pageNumber}`}
          busy={list.loading}
          hasPrevious={pages.pageNumber > 1}
          hasNext={Boolean(list.data.nextCursor)}
          onPrevious={pages.previous}
          onNext={() => list.data?.nextCursor && pages.next(list.data.nextCursor)}
        />
      ) : null}
    </section>
  );
}
