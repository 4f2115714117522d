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
import type { UnusedAccount } from './types';
import { useCursorPages } from './use-cursor-pages';

const PERIODS = [30, 90, 180, 365];
const PAGE_SIZE = 25;

/** Lists accounts that requested no token for a chosen number of days, never-used ones included. */
export function UnusedAccounts() {
  const [days, setDays] = useState(90);
  const pages = useCursorPages(String(days));
  const list = useResource<Page<UnusedAccount>>(`/reports/unused-accounts${queryString({ days, limit: PAGE_SIZE, cursor: pages.cursor })}`);
  const items = list.data?.items ?? [];

  return (
    <section className="report-section" aria-labelledby="report-unused">
      <div className="section-header">
        <h2 id="report-unused">Unused accounts</h2>
        <div className="field">
          <label htmlFor="unused-days">Unused for</label>
          <select id="unused-days" value={days} onChange={(event) => setDays(Number(event.target.value))}>
            {PERIODS.map((period) => (
              <option key={period} value={period}>
                {plural(period, 'day')}
              </option>
            ))}
          </select>
        </div>
      </div>
      {list.problem ? <LoadError problem={list.problem} retry={list.reload} /> : null}
      {list.loading && !list.data ? <Loading what="unused accounts" /> : null}
      {list.data && items.length === 0 ? <p className="muted">Every account requested a token within the last {plural(days, 'day')}.</p> : null}

      {items.length > 0 ? (
        <div className="table-wrap" aria-busy={list.loading}>
          <table className="table">
            <caption className="visually-hidden">Accounts unused for {plural(days, 'day')}</caption>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Owner</th>
                <th scope="col">Status</th>
                <th scope="col">Last used</th>
                <th scope="col">Unused for</th>
                <th scope="col">Dormant since</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.id}>
                  <td>
                    <Link to={`/service-accounts/${encodeURIComponent(item.id)}`} className="row-link">
                      {item.name}
                    </Link>
                  </td>
                  <td>{item.owner || <span className="muted">—</span>}</td>
                  <td>
                    <StatusBadge status={item.status} />
                  </td>
                  <td>
                    <Time value={item.lastUsedAt} empty="Never" />
                  </td>
                  <td>{plural(item.unusedDays, 'day')}</td>
                  <td>
                    <Time value={item.dormantSince} format="date" empty="Not dormant" />
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
