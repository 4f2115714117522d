import type { ServiceAccount } from '../api/types';
import { Time } from '../components/Time';
import { daysUntil } from '../format';
import { Link } from '../router';
import type { AccountSort } from './account-query';
import { StatusBadge } from './StatusBadge';

interface AccountTableProps {
  accounts: ServiceAccount[];
  /** Marks rows that a new query is replacing. */
  busy: boolean;
  sort: AccountSort;
  onSort: (sort: AccountSort) => void;
}

type SortKey = 'name' | 'createdAt' | 'lastUsedAt';

function SortHeader({ label, sortKey, sort, onSort, firstDescending }: { label: string; sortKey: SortKey; sort: AccountSort; onSort: (sort: AccountSort) => void; firstDescending?: boolean }) {
  const active = sort === sortKey || sort === `-${sortKey}`;
  const descending = sort === `-${sortKey}`;
  let next: AccountSort = firstDescending ? `-${sortKey}` : sortKey;
  if (active) next = descending ? sortKey : `-${sortKey}`;

  let ariaSort: 'none' | 'ascending' | 'descending' = 'none';
  let mark = '↕';
  if (active) {
    ariaSort = descending ? 'descending' : 'ascending';
    mark = descending ? '▼' : '▲';
  }

  return (
    <th scope="col" aria-sort={ariaSort}>
      <button type="button" className="sort-button" onClick={() => onSort(next)}>
        {label}
        <span aria-hidden="true" className="sort-mark">
          {mark}
        </span>
      </button>
    </th>
  );
}

function CredentialExpiry({ value }: { value: string | null }) {
  if (!value) return <span className="muted">No expiring credential</span>;
  const days = daysUntil(value);
  let className: string | undefined;
  if (days < 7) className = 'expiry-soon';
  else if (days < 30) className = 'expiry-near';
  return (
    <span className={className}>
      <Time value={value} format="date" /> <span className="muted">(<Time value={value} />)</span>
    </span>
  );
}

/** Renders the service-account table with sortable columns. */
export function AccountTable({ accounts, busy, sort, onSort }: AccountTableProps) {
  return (
    <div className="table-wrap" aria-busy={busy}>
      <table className="table">
        <caption className="visually-hidden">Service accounts</caption>
        <thead>
          <tr>
            <SortHeader label="Name" sortKey="name" sort={sort} onSort={onSort} />
            <th scope="col">Owner</th>
            <th scope="col">Instances</th>
            <th scope="col">Status</th>
            <th scope="col">Credential expiry</th>
            <SortHeader label="Last used" sortKey="lastUsedAt" sort={sort} onSort={onSort} firstDescending />
            <SortHeader label="Created" sortKey="createdAt" sort={sort} onSort={onSort} firstDescending />
          </tr>
        </thead>
        <tbody>
          {accounts.map((account) => (
            <tr key={account.id}>
              <td>
                <Link to={`/service-accounts/${encodeURIComponent(account.id)}`} className="row-link">
                  {account.name}
                </Link>
                {account.description ? <div className="cell-note">{account.description}</div> : null}
              </td>
              <td>{account.owner || <span className="muted">—</span>}</td>
              <td>{account.access.length > 0 ? account.access.map((grant) => grant.instance).join(', ') : <span className="muted">None</span>}</td>
              <td>
                <StatusBadge status={account.status} />
                {account.dormantSince ? <div className="cell-note">Dormant</div> : null}
              </td>
              <td>
                <CredentialExpiry value={account.credentialExpiresAt} />
              </td>
              <td>
                <Time value={account.lastUsedAt} empty="Never" />
              </td>
              <td>
                <Time value={account.createdAt} format="date" />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
