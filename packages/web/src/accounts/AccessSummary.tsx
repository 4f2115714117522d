import type { AccessGrant } from '../api/types';
import { describeRestriction } from './access-draft';
import type { Catalog } from './use-catalog';

/** Renders a read-only table of an account's grants. */
export function AccessSummary({ access, catalog }: { access: AccessGrant[]; catalog: Catalog }) {
  if (access.length === 0) return <p className="empty-inline">No access: the account cannot get tokens for any instance.</p>;

  return (
    <table className="table table-compact">
      <caption className="visually-hidden">Access grants</caption>
      <thead>
        <tr>
          <th scope="col">Instance</th>
          <th scope="col">Scopes</th>
          <th scope="col">Resources</th>
        </tr>
      </thead>
      <tbody>
        {access.map((grant) => {
          const instance = catalog.instanceIndex.get(grant.instanceId ?? grant.instance) ?? catalog.instanceIndex.get(grant.instance);
          const types = [...new Set([...(catalog.profiles.get(instance?.profile ?? '')?.resourceTypes ?? []), ...Object.keys(grant.resources)])];
          return (
            <tr key={grant.instance}>
              <td>
                {instance?.name ?? grant.instance} <span className="muted">({grant.instance})</span>
              </td>
              <td>{grant.scopes.join(', ')}</td>
              <td>
                {types.length === 0 ? (
                  <span className="muted">No resource types</span>
                ) : (
                  <ul className="plain-list">
                    {types.map((type) => (
                      <li key={type}>
                        <code>{type}</code>: {describeRestriction(grant.resources[type])}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
