import { useState } from 'react';
import type { AuditEvent, Page } from '../api/types';
import { useResource } from '../api/use-resource';
import { LoadError, Loading } from '../components/LoadState';
import { PageTitle } from '../components/PageTitle';
import { Pager } from '../components/Pager';
import { navigate, useLocation } from '../router';
import { useRole } from '../session-context';
import { AuditEventList } from './AuditEventList';
import { AuditFiltersForm } from './AuditFiltersForm';
import { type AuditFilters, auditHref, auditQuery, exportHref, readAuditFilters } from './audit-query';

const PAGE_SIZE = 50;

/** Shows the audit log newest first, with filters, cursor paging and export links for the filtered events. */
export function AuditLog() {
  const role = useRole();
  const location = useLocation();
  const filters = readAuditFilters(location.search);
  const filterKey = auditQuery(filters);

  const [paging, setPaging] = useState<{ key: string; cursors: (string | undefined)[] }>({ key: filterKey, cursors: [undefined] });
  const cursors = paging.key === filterKey ? paging.cursors : [undefined];
  const setCursors = (next: (string | undefined)[]) => setPaging({ key: filterKey, cursors: next });

  const list = useResource<Page<AuditEvent>>(`/audit-events${auditQuery(filters, { limit: PAGE_SIZE, cursor: cursors[cursors.length - 1] })}`);
  const items = list.data?.items ?? [];
  const first = (cursors.length - 1) * PAGE_SIZE + 1;
  const filtered = filterKey !== '';
  const [filterError, setFilterError] = useState(false);

  return (
    <div className="page">
      <div className="page-header">
        <PageTitle>Audit log</PageTitle>
        {filterError ? (
          // Links to the last applied filters would export a different set than the form shows, so none are offered.
          <div className="button-row">
            <span className="button" role="link" aria-disabled="true" aria-describedby="export-blocked">
              Export CSV
            </span>
            <span className="button" role="link" aria-disabled="true" aria-describedby="export-blocked">
              Export JSON Lines
            </span>
            <p id="export-blocked" className="field-hint">
              Fix the filters, or clear them, to export.
            </p>
          </div>
        ) : (
          <div className="button-row">
            <a className="button" href={exportHref(filters, 'csv')} download>
              Export CSV
            </a>
            <a className="button" href={exportHref(filters, 'jsonl')} download>
              Export JSON Lines
            </a>
          </div>
        )}
      </div>
      <p className="field-hint page-intro">
        {role === 'instance-admin' ? 'The admin actions and token requests about your instances and their service accounts, newest first.' : 'Every admin action and every token request, newest first.'} Exports contain all
        events that match the filters.
      </p>
      <AuditFiltersForm key={filterKey} filters={filters} onApply={(next: AuditFilters) => navigate(auditHref(next))} onErrorChange={setFilterError} />
      {list.problem ? <LoadError problem={list.problem} retry={list.reload} /> : null}
      {list.loading && !list.data ? <Loading what="audit events" /> : null}
      {list.data && items.length === 0 ? (
        <div className="empty-state">
          <h2>{filtered ? 'No events match these filters' : 'No audit events yet'}</h2>
        </div>
      ) : null}
      {items.length > 0 ? <AuditEventList events={items} caption="Audit events" busy={list.loading} /> : null}
      {list.data && (items.length > 0 || cursors.length > 1) ? (
        <Pager
          summary={`Showing events ${first}–${first + items.length - 1}`}
          busy={list.loading}
          hasPrevious={cursors.length > 1}
          hasNext={Boolean(list.data.nextCursor)}
          previousLabel="Newer"
          nextLabel="Older"
          onPrevious={() => setCursors(cursors.slice(0, -1))}
          onNext={() => list.data?.nextCursor && setCursors([...cursors, list.data.nextCursor])}
        />
      ) : null}
    </div>
  );
}
