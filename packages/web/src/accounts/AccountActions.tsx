import { useState } from 'react';
import { api } from '../api/client';
import type { ServiceAccount } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { setFlash } from '../components/flash';
import { TextField } from '../components/TextField';
import { navigate } from '../router';

interface AccountActionsProps {
  account: ServiceAccount;
  onUpdate: (body: Record<string, unknown>, message: string) => Promise<unknown>;
  /** Id of the text that explains why the signed-in admin may not change the account. While it is set, the buttons are disabled. */
  lockedBy?: string;
}

/** Disable, enable and delete buttons of an account, each behind a confirmation where it takes access away. */
export function AccountActions({ account, onUpdate, lockedBy }: AccountActionsProps) {
  const [dialog, setDialog] = useState<'disable' | 'enable' | 'delete'>();
  const [typedName, setTypedName] = useState('');
  const close = () => {
    setDialog(undefined);
    setTypedName('');
  };
  const path = `/service-accounts/${encodeURIComponent(account.id)}`;
  const locked = { disabled: lockedBy !== undefined, 'aria-describedby': lockedBy };

  return (
    <div className="button-row">
      {account.status === 'active' ? (
        <button type="button" className="button" {...locked} onClick={() => setDialog('disable')}>
          Disable
        </button>
      ) : (
        <button type="button" className="button" {...locked} onClick={() => setDialog('enable')}>
          Enable
        </button>
      )}
      <button type="button" className="button button-danger" {...locked} onClick={() => setDialog('delete')}>
        Delete
      </button>

      {dialog === 'disable' ? (
        <ConfirmDialog
          title={`Disable ${account.name}?`}
          message={<p>The account can no longer get tokens, and tokens it already holds stop passing introspection at once. Its credentials and access stay, so you can enable it again later.</p>}
          confirmLabel="Disable account"
          danger
          onClose={close}
          onConfirm={async () => {
            await onUpdate({ status: 'disabled' }, `Disabled ${account.name}.`);
            close();
          }}
        />
      ) : null}
      {dialog === 'enable' ? (
        <ConfirmDialog
          title={`Enable ${account.name}?`}
          message={<p>The account can get tokens again with its live credentials.</p>}
          confirmLabel="Enable account"
          onClose={close}
          onConfirm={async () => {
            await onUpdate({ status: 'active' }, `Enabled ${account.name}.`);
            close();
          }}
        />
      ) : null}
      {dialog === 'delete' ? (
        <ConfirmDialog
          title={`Delete ${account.name}?`}
          message={<p>This deletes the account, its credentials and its access for good. Tokens it holds stop working at once. Its audit events stay.</p>}
          confirmLabel="Delete account"
          danger
          canConfirm={typedName === account.name}
          onClose={close}
          onConfirm={async () => {
            await api.delete(path);
            navigate('/service-accounts');
            setFlash('/service-accounts', `Deleted the service account ${account.name}.`);
          }}
        >
          <TextField id="delete-confirm-name" label={`Type the account name, ${account.name}, to confirm`} value={typedName} onChange={setTypedName} autoComplete="off" />
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
