import { useState } from 'react';
import { api } from '../api/client';
import type { AdminRecord, Instance, Page } from '../api/types';
import { useResource } from '../api/use-resource';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { useTransientMessage } from '../components/flash';
import { LoadError, Loading } from '../components/LoadState';
import { PageTitle } from '../components/PageTitle';
import { TextField } from '../components/TextField';
import { Time } from '../components/Time';
import { useSession } from '../session-context';
import { AdminFormDialog } from './AdminFormDialog';
import { PasswordDialog } from './PasswordDialog';

type DialogState = { kind: 'create' } | { kind: 'edit' | 'password' | 'delete'; admin: AdminRecord };

const SIGN_IN_METHODS: Record<string, string> = { local: 'Password', oidc: 'Identity provider' };

/** Lists the admins who manage Tessera, with their roles, and creates, changes and deletes them. */
export function AdminsPage() {
  const list = useResource<Page<AdminRecord>>('/admins');
  const instances = useResource<Page<Instance>>('/instances');
  const { admin: self, refresh } = useSession();
  const [dialog, setDialog] = useState<DialogState>();
  const [typedName, setTypedName] = useState('');
  const [status, setStatus] = useTransientMessage();
  const items = list.data?.items ?? [];
  const instanceItems = instances.data?.items ?? [];
  const slugOf = (id: string) => instanceItems.find((instance) => instance.id === id)?.slug ?? id;

  const close = () => {
    setDialog(undefined);
    setTypedName('');
  };
  const done = (message: string) => {
    close();
    setStatus(message);
    list.reload();
  };

  // After a change to their own role, the panel reads the session again, so that the navigation
  // and pages match the new role. The list is not reloaded, because without the admin role it fails.
  const savedAdmin = (saved: AdminRecord) => {
    if (saved.id !== self?.id || saved.role === self.role) {
      done(`Saved the changes to ${saved.username}.`);
      return;
    }
    close();
    refresh();
  };

  return (
    <div className="page">
      <div className="page-header">
        <PageTitle>Admins</PageTitle>
        <button type="button" className="button button-primary" onClick={() => setDialog({ kind: 'create' })}>
          Create admin
        </button>
      </div>
      <p className="field-hint page-intro">People who sign in to this panel. An admin manages everything, an instance-admin manages the service accounts of its instances, and an auditor only reads.</p>
      <div className="live-status" role="status">
        {status ? <p className="notice notice-success">{status}</p> : null}
      </div>
      {list.problem ? <LoadError problem={list.problem} retry={list.reload} /> : null}
      {instances.problem ? <LoadError problem={instances.problem} retry={instances.reload} /> : null}
      {list.loading && !list.data ? <Loading what="admins" /> : null}
      {items.length > 0 ? (
        <div className="table-wrap" aria-busy={list.loading}>
          <table className="table">
            <caption className="visually-hidden">Admins</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Role</th>
                <th scope="col">Instances</th>
                <th scope="col">Sign-in method</th>
                <th scope="col">Created</th>
                <th scope="col">Updated</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((admin) => (
                <tr key={admin.id} data-admin={admin.username}>
                  <td>
                    {admin.username}
                    {admin.id === self?.id ? <span className="muted"> (you)</span> : null}
                  </td>
                  <td>{admin.role}</td>
                  <td>{admin.instances.length > 0 ? admin.instances.map(slugOf).join(', ') : <span className="muted">All</span>}</td>
                  <td>
                    {SIGN_IN_METHODS[admin.authSource] ?? admin.authSource}
                    {admin.authSource !== 'local' && admin.hasPassword ? <span className="muted"> and password</span> : null}
                  </td>
                  <td>
                    <Time value={admin.createdAt} format="date" />
                  </td>
                  <td>
                    <Time value={admin.updatedAt} format="date" />
                  </td>
                  <td className="actions-cell">
                    <button type="button" className="button button-small" aria-label={`Edit ${admin.username}`} onClick={() => setDialog({ kind: 'edit', admin })}>
                      Edit
                    </button>
                    <button type="button" className="button button-small" aria-label={`Reset the password of ${admin.username}`} onClick={() => setDialog({ kind: 'password', admin })}>
                      Reset password
                    </button>
                    {/* Deleting oneself would end the session in the middle of the page, so another admin does it. */}
                    {admin.id === self?.id ? null : (
                      <button type="button" className="button button-small button-danger" aria-label={`Delete ${admin.username}`} onClick={() => setDialog({ kind: 'delete', admin })}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      {dialog?.kind === 'create' ? <AdminFormDialog instances={instanceItems} onClose={close} onSaved={(created) => done(`Created the admin ${created.username}.`)} /> : null}
      {dialog?.kind === 'edit' ? <AdminFormDialog existing={dialog.admin} instances={instanceItems} onClose={close} onSaved={savedAdmin} /> : null}
      {dialog?.kind === 'password' ? <PasswordDialog admin={dialog.admin} onClose={close} onSaved={() => done(`Set a new password for ${dialog.admin.username}.`)} /> : null}
      {dialog?.kind === 'delete' ? (
        <ConfirmDialog
          title={`Delete ${dialog.admin.username}?`}
          message={<p>The admin can no longer sign in, and the sessions they have end at once. Their audit events stay.</p>}
          confirmLabel="Delete admin"
          danger
          canConfirm={typedName === dialog.admin.username}
          onClose={close}
          onConfirm={async () => {
            await api.delete(`/admins/${encodeURIComponent(dialog.admin.id)}`);
            done(`Deleted the admin ${dialog.admin.username}.`);
          }}
        >
          <TextField id="delete-admin-name" label={`Type the username, ${dialog.admin.username}, to confirm`} value={typedName} onChange={setTypedName} autoComplete="off" />
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
