import { useState } from 'react';
import { api } from '../api/client';
import type { Instance, Page } from '../api/types';
import { useResource } from '../api/use-resource';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { useTransientMessage } from '../components/flash';
import { LoadError, Loading } from '../components/LoadState';
import { PageTitle } from '../components/PageTitle';
import { Time } from '../components/Time';
import { Link } from '../router';
import { ReadOnlyNotice } from '../components/ReadOnlyNotice';
import { useCanEdit } from '../session-context';

const BUILT_IN_PROFILE = 'tessera';

/** Lists the product instances that accept Tessera tokens, with links to edit and buttons to delete them. */
export function InstancesList() {
  const list = useResource<Page<Instance>>('/instances');
  const canEdit = useCanEdit();
  const [deleting, setDeleting] = useState<Instance>();
  const [status, setStatus] = useTransientMessage();
  // The built-in instance of Tessera's own admin API is not a product; it is shown apart.
  const builtIn = list.data?.items.find((instance) => instance.profile === BUILT_IN_PROFILE);
  const items = (list.data?.items ?? []).filter((instance) => instance.profile !== BUILT_IN_PROFILE);

  return (
    <div className="page">
      <div className="page-header">
        <PageTitle>Product instances</PageTitle>
        {canEdit ? (
          <Link to="/instances/new" className="button button-primary">
            Add instance
          </Link>
        ) : null}
      </div>
      <p className="field-hint page-intro">An instance is one installation of a product, such as a Jira, that accepts Tessera tokens. Its audience is the token's aud claim.</p>
      <ReadOnlyNotice organisationWide />
      <div className="live-status" role="status">
        {status ? <p className="notice notice-success">{status}</p> : null}
      </div>
      {list.problem ? <LoadError problem={list.problem} retry={list.reload} /> : null}
      {list.loading && !list.data ? <Loading what="instances" /> : null}
      {list.data && items.length === 0 ? (
        <div className="empty-state">
          <h2>No product instances yet</h2>
          <p>Add the products that accept Tessera tokens, then grant service accounts access to them.</p>
          {canEdit ? (
            <Link to="/instances/new" className="button button-primary">
              Add instance
            </Link>
          ) : null}
        </div>
      ) : null}
      {items.length > 0 ? (
        <div className="table-wrap" aria-busy={list.loading}>
          <table className="table">
            <caption className="visually-hidden">Product instances</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Slug</th>
                <th scope="col">Profile</th>
                <th scope="col">Audience</th>
                <th scope="col">Token lifetime</th>
                <th scope="col">Token format</th>
                <th scope="col">Created</th>
                {canEdit ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((instance) => (
                <tr key={instance.id}>
                  <td>{instance.name}</td>
                  <td>
                    <code>{instance.slug}</code>
                  </td>
                  <td>{instance.profile}</td>
                  <td className="break">{instance.audience}</td>
                  <td>{instance.accessTokenLifetimeSeconds ? `${instance.accessTokenLifetimeSeconds} s` : <span className="muted">Server default</span>}</td>
                  <td>{instance.tokenFormat === 'opaque' ? 'Opaque' : 'JWT'}</td>
                  <td>
                    <Time value={instance.createdAt} format="date" />
                  </td>
                  {canEdit ? (
                    <td className="actions-cell">
                      <Link to={`/instances/${encodeURIComponent(instance.slug)}/edit`} className="button button-small" aria-label={`Edit ${instance.name}`}>
                        Edit
                      </Link>
                      <button type="button" className="button button-small button-danger" aria-label={`Delete ${instance.name}`} onClick={() => setDeleting(instance)}>
                        Delete
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          message={<p>Tokens for {deleting.audience} can no longer be issued. An instance that service accounts still have access to cannot be deleted.</p>}
          confirmLabel="Delete instance"
          danger
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api.delete(`/instances/${encodeURIComponent(deleting.id)}`);
            setDeleting(undefined);
            setStatus(`Deleted the instance ${deleting.name}.`);
            list.reload();
          }}
        />
      ) : null}
      {builtIn ? (
        <p className="field-hint">
          The built-in instance <code>{builtIn.slug}</code> (audience <code>{builtIn.audience}</code>) is Tessera's own admin API. Grant a service account{' '}
          <code>admin:read</code> or <code>admin:write</code> on it to automate Tessera with its tokens.
        </p>
      ) : null}
    </div>
  );
}
