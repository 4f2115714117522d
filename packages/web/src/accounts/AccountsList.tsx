import { useCallback, useState } from 'react';
import type { Page, ServiceAccount } from '../api/types';
import { useResource } from '../api/use-resource';
import { LoadError, Loading } from '../components/LoadState';
import { PageTitle } from '../components/PageTitle';
import { Pager } from '../components/Pager';
import { Link, navigate, useLocation } from '../router';
import { ReadOnlyNotice } from '../components/ReadOnlyNotice';
import { useCanManageAccounts } from '../session-context';
import { type AccountFilters, type AccountSort, PAGE_SIZES, filtersHref, hasFilters, listPath, readFilters } from './account-query';
import { AccountFiltersBar } from './AccountFiltersBar';
import { AccountTable } from './AccountTable';
import { useCatalog } from './use-catalog';

/** Lists service accounts with search, filters, sorting and cursor paging. */
export function AccountsList() {
  const location = useLocation();
  const filters = readFilters(location.search);
  const filterKey = filtersHref(filters);
  const canEdit = useCanManageAccounts();
  const catalog = useCatalog();

  // Cursors of the pages up to the current one, so that "Previous" can go back. They belong to
  // one set of filters and start again from the first page when the filters change.
  const [paging, setPaging] = useState<{ key: string; cursors: (string | undefined)[] }>({ key: filterKey, cursors: [undefined] });
  const cursors = paging.key === filterKey ? paging.cursors : [undefined];
  const setCursors = (next: (string | undefined)[]) => setPaging({ key: filterKey, cursors: next });
  const cursor = cursors[cursors.length - 1];

  const list = useResource<Page<ServiceAccount>>(listPath(filters, cursor));
  const applyFilters = useCallback((next: AccountFilters) => navigate(filtersHref(next), { replace: true }), []);
  const setSort = (sort: AccountSort) => applyFilters({ ...filters, sort });

  const items = list.data?.items ?? [];
  const first = (cursors.length - 1) * filters.limit + 1;
  const filtered = hasFilters(filters);

  return (
    <div className="page">
      <div className="page-header">
        <PageTitle>Service accounts</PageTitle>
        {canEdit ? (
          <Link to="/service-accounts/new" className="button button-primary">
            Create service account
          </Link>
        ) : null}
      </div>
      <ReadOnlyNotice />
      <AccountFiltersBar filters={filters} instances={catalog.instances} onChange={applyFilters} />
      {list.problem ? <LoadError problem={list.problem} retry={list.reload} /> : null}
      {list.loading && !list.data ? <Loading what="service accounts" /> : null}

      {list.data && items.length === 0 && !filtered && cursors.length === 1 ? (
        <div className="empty-state">
          <h2>No service accounts yet</h2>
          <p>A service account lets a script or integration get access tokens for your product instances, without a shared admin login.</p>
          {canEdit ? (
            <Link to="/service-accounts/new" className="button button-primary">
              Create service account
            </Link>
          ) : null}
        </div>
      ) : null}
      {list.data && items.length === 0 && filtered ? (
        <div className="empty-state">
          <h2>No service accounts match these filters</h2>
          <button type="button" className="button" onClick={() => navigate('/service-accounts', { replace: true })}>
            Clear filters
          </button>
        </div>
      ) : null}

      {items.length > 0 ? <AccountTable accounts={items} busy={list.loading} sort={filters.sort} onSort={setSort} /> : null}

      {list.data && (items.length > 0 || cursors.length > 1) ? (
        <Pager
          summary={`Showing ${first}–${first + items.length - 1}${list.data.total !== undefined ? ` of ${list.data.total}` : ''}`}
          busy={list.loading}
          hasPrevious={cursors.length > 1}
          hasNext={Boolean(list.data.nextCursor)}
          onPrevious={() => setCursors(cursors.slice(0, -1))}
          onNext={() => list.data?.nextCursor && setCursors([...cursors, list.data.nextCursor])}
          pageSize={filters.limit}
          pageSizes={PAGE_SIZES}
          onPageSize={(limit) => applyFilters({ ...filters, limit })}
        />
      ) : null}
    </div>
  );
}
