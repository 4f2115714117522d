import { useState } from 'react';
import { queryString } from '../api/client';
import type { Page } from '../api/types';
import { useResource } from '../api/use-resource';
import { StatusBadge } from '../accounts/StatusBadge';
import { LoadError, Loading } from '../components/LoadState';
import { Pager } from '../components/Pager';
import { Time } from '../components/Time';
import { plural } from '../format';
import { Link } from '../router';
import type { ExpiringCredential } from './types';
import { useCursorPages } from './use-cursor-pages';

const WINDOWS = [7, 30, 90];

function urgencyClass(daysLeft: number): string | undefined {
  if (daysLeft < 7) return 'expiry-soon';
  if (daysLeft < 30) return 'expiry-near';
  return undefined;
}
const PAGE_SIZE = 25;

/** Lists live credentials that expire within a chosen number of days, soonest first. */
export function ExpiringCredentials() {
  const [withinDays, setWithinDays] = useState(30);
  const pages = useCursorPages(String(withinDays));
  const list = useResource<Page<ExpiringCredential>>(`/reports/expiring-credentials${queryString({ withinDays, limit: PAGE_SIZE, cursor: pages.cursor })}`);
  const items = list.data?.items ?? [];

  return (
    <section className="report-section" aria-labelledby="report-expiring">
      <div className="section-header">
        <h2 id="report-expiring">Expiring credentials</h2>
        <div className="field">
          <label htmlFor="expiring-within">Expiring within</label>
          <select id="expiring-within" value={withinDays} onChange={(event) => setWithinDays(Number(event.target.value))}>
            {WINDOWS.map((days) => (
              <option key={days} value={days}>
                {plural(days, 'day')}
              </option>
            ))}
          </select>
        </div>
      </div>
      {list.problem ? <LoadError problem={list.problem} retry={list.reload} /> : null}
      {list.loading && !list.data ? <Loading what="expiring credentials" /> : null}
      {list.data && items.length === 0 ? <p className="muted">No live credential expires within {plural(withinDays, 'day')}.</p> : null}

      {items.length > 0 ? (
        <div className="table-wrap" aria-busy={list.loading}>
          <table className="table">
            <caption className="visually-hidden">Credentials expiring within {plural(withinDays, 'day')}</caption>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Credential</th>
                <th scope="col">Expires</th>
                <th scope="col">Days left</th>
                <th scope="col">Last used</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.credentialId}>
                  <td>
                    <Link to={`/service-accounts/${encodeURIComponent(item.accountId)}/credentials`} className="row-link">
                      {item.accountName}
                    </Link>{' '}
                    {item.accountStatus === 'active' ? null : <StatusBadge status={item.accountStatus} />}
                  </td>
                  <td>
                    <code>{item.credentialId}</code>
                  </td>
                  <td>
                    <Time value={item.expiresAt} format="datetime" />
                  </td>
                  <td className={urgencyClass(item.daysLeft)}>{item.daysLeft}</td>
                  <td>
                    <Time value={item.lastUsedAt} empty="Never" />
                  </td>
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
