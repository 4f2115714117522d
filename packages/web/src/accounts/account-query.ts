import { queryString } from '../api/client';

export const ACCOUNT_SORTS = ['name', '-name', 'createdAt', '-createdAt', 'lastUsedAt', '-lastUsedAt'] as const;
export type AccountSort = (typeof ACCOUNT_SORTS)[number];

export const UNUSED_DAYS = 90;
export const EXPIRING_DAYS = 30;
export const PAGE_SIZES = [25, 50, 100, 200];

/** The list's filters, kept in the page URL so that a filtered view can be bookmarked and shared. */
export interface AccountFilters {
  search: string;
  status: '' | 'active' | 'disabled';
  instance: string;
  owner: string;
  unused: boolean;
  expiring: boolean;
  sort: AccountSort;
  limit: number;
}

export function readFilters(search: URLSearchParams): AccountFilters {
  const status = search.get('status');
  const sort = search.get('sort') as AccountSort | null;
  const limit = Number(search.get('limit'));
  return {
    search: search.get('search') ?? '',
    status: status === 'active' || status === 'disabled' ? status : '',
    instance: search.get('instance') ?? '',
    owner: search.get('owner') ?? '',
    unused: search.get('unused') === '1',
    expiring: search.get('expiring') === '1',
    sort: sort && ACCOUNT_SORTS.includes(sort) ? sort : 'name',
    limit: PAGE_SIZES.includes(limit) ? limit : 50,
  };
}

/** Returns the panel URL for a set of filters, leaving out the defaults. */
export function filtersHref(filters: AccountFilters): string {
  return `/service-accounts${queryString({
    search: filters.search,
    status: filters.status,
    instance: filters.instance,
    owner: filters.owner,
    unused: filters.unused ? '1' : undefined,
    expiring: filters.expiring ? '1' : undefined,
    sort: filters.sort === 'name' ? undefined : filters.sort,
    limit: filters.limit === 50 ? undefined : filters.limit,
  })}`;
}

/** Returns the admin API path that lists one page of accounts for these filters. */
export function listPath(filters: AccountFilters, cursor: string | undefined): string {
  return `/service-accounts${queryString({
    search: filters.search,
    status: filters.status,
    instance: filters.instance,
    owner: filters.owner,
    unusedForDays: filters.unused ? UNUSED_DAYS : undefined,
    expiringWithinDays: filters.expiring ? EXPIRING_DAYS : undefined,
    sort: filters.sort,
    limit: filters.limit,
    cursor,
  })}`;
}

export function hasFilters(filters: AccountFilters): boolean {
  return Boolean(filters.search || filters.status || filters.instance || filters.owner || filters.unused || filters.expiring);
}
