import { useState } from 'react';
import { API_BASE } from '../api/client';
import { useResource } from '../api/use-resource';
import { LoadError, Loading } from '../components/LoadState';
import { PageTitle } from '../components/PageTitle';
import { Time } from '../components/Time';
import { ReadOnlyNotice } from '../components/ReadOnlyNotice';
import { useCanEdit } from '../session-context';
import { SeatCountForm } from './SeatCountForm';
import type { SeatReport } from './types';

/** Shows licensed humans beside service accounts per instance, to show that service accounts take no seat. */
export function SeatsReport() {
  const report = useResource<SeatReport>('/reports/seats');
  const canEdit = useCanEdit();
  const [status, setStatus] = useState('');
  const items = report.data?.items ?? [];
  const totals = report.data?.totals;

  return (
    <div className="page">
      <div className="page-header">
        <PageTitle>Seats</PageTitle>
        <a className="button" href={`${API_BASE}/reports/seats?format=csv`} download>
          Download CSV
        </a>
      </div>
      <p className="field-hint page-intro">Licensed humans as each product reports them, beside the service accounts with access to it. Service accounts never take a licensed seat.</p>
      <ReadOnlyNotice subject="the seat counts" organisationWide />
      <div className="live-status" role="status">
        {status ? <p className="notice notice-success">{status}</p> : null}
      </div>
      {report.problem ? <LoadError problem={report.problem} retry={report.reload} /> : null}
      {report.loading && !report.data ? <Loading what="the seat report" /> : null}
      {items.length > 0 && totals ? (
        <div className="table-wrap" aria-busy={report.loading}>
          <table className="table" data-testid="seat-table">
            <caption className="visually-hidden">Seats per instance</caption>
            <thead>
              <tr>
                <th scope="col">Instance</th>
                <th scope="col">Licensed humans</th>
                <th scope="col">Active humans</th>
                <th scope="col">Reported</th>
                <th scope="col">Service accounts</th>
                <th scope="col">Seats used by service accounts</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.instance.id}>
                  <td>
                    {item.instance.name} <code>{item.instance.slug}</code>
                  </td>
                  <td>{item.humans ? item.humans.licensedUsers : <span className="muted">Not reported</span>}</td>
                  <td>{item.humans?.activeUsers ?? <span className="muted">—</span>}</td>
                  <td>
                    {item.humans ? (
                      <>
                        {item.humans.reportedVia === 'product' ? 'By the product' : 'By an admin'}
                        {item.humans.reportedBy?.name ? ` (${item.humans.reportedBy.name})` : ''}, <Time value={item.humans.reportedAt} format="datetime" />
                      </>
                    ) : (
                      <span className="muted">Never</span>
                    )}
                  </td>
                  <td>
                    {item.serviceAccounts.total} ({item.serviceAccounts.active} active, {item.serviceAccounts.disabled} disabled)
                  </td>
                  <td>{item.serviceAccountSeats}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">All instances</th>
                <td>{totals.licensedUsers}</td>
                <td>{totals.activeUsers ?? '—'}</td>
                <td>
                  {totals.instancesReported} of {totals.instances} reported
                </td>
                <td>{totals.serviceAccounts.total} (each counted once)</td>
                <td>{totals.serviceAccountSeats}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      ) : null}
      {report.data && items.length === 0 ? <p>No product instances yet; add one under Instances.</p> : null}
      {canEdit && items.length > 0 ? (
        <SeatCountForm
          items={items}
          onSaved={(message) => {
            setStatus(message);
            report.reload();
          }}
        />
      ) : null}
    </div>
  );
}
