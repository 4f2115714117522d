import { useEffect, useState } from 'react';
import type { Instance } from '../api/types';
import { type AccountFilters, EXPIRING_DAYS, UNUSED_DAYS } from './account-query';

interface AccountFiltersBarProps {
  filters: AccountFilters;
  instances: Instance[];
  onChange: (filters: AccountFilters) => void;
}

const TYPING_DELAY_MS = 300;

/** Renders the search and filter controls of the account list. Text fields apply after a short pause in typing. */
export function AccountFiltersBar({ filters, instances, onChange }: AccountFiltersBarProps) {
  const [search, setSearch] = useState(filters.search);
  const [owner, setOwner] = useState(filters.owner);

  useEffect(() => setSearch(filters.search), [filters.search]);
  useEffect(() => setOwner(filters.owner), [filters.owner]);

  useEffect(() => {
    if (search === filters.search && owner === filters.owner) return;
    const timer = window.setTimeout(() => onChange({ ...filters, search, owner: owner.trim() }), TYPING_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [search, owner, filters, onChange]);

  return (
    <form className="filters" role="search" aria-label="Filter service accounts" onSubmit={(event) => event.preventDefault()}>
      <div className="field">
        <label htmlFor="filter-search">Search</label>
        <input id="filter-search" type="search" value={search} placeholder="Name, client ID or description" onChange={(event) => setSearch(event.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="filter-status">Status</label>
        <select id="filter-status" value={filters.status} onChange={(event) => onChange({ ...filters, status: event.target.value as AccountFilters['status'] })}>
          <option value="">Any</option>
          <option value="active">Active</option>
          <option value="disabled">Disabled</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="filter-instance">Instance</label>
        <select id="filter-instance" value={filters.instance} onChange={(event) => onChange({ ...filters, instance: event.target.value })}>
          <option value="">Any</option>
          {instances.map((instance) => (
            <option key={instance.id} value={instance.slug}>
              {instance.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="filter-owner">Owner</label>
        <input id="filter-owner" value={owner} placeholder="Exact owner" onChange={(event) => setOwner(event.target.value)} />
      </div>
      <div className="filter-checks">
        <label className="checkbox">
          <input type="checkbox" checked={filters.unused} onChange={(event) => onChange({ ...filters, unused: event.target.checked })} />
          Unused for {UNUSED_DAYS} days
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={filters.expiring} onChange={(event) => onChange({ ...filters, expiring: event.target.checked })} />
          Expiring in {EXPIRING_DAYS} days
        </label>
      </div>
    </form>
  );
}
