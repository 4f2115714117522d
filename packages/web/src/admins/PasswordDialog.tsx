import { useState } from 'react';
import { api } from '../api/client';
import type { AdminRecord } from '../api/types';
import { Dialog } from '../components/Dialog';
import { Notice } from '../components/Notice';
import { TextField } from '../components/TextField';
import { useFormState } from '../components/use-form-state';
import { checkPassword } from './admin-draft';

interface PasswordDialogProps {
  admin: AdminRecord;
  onSaved: () => void;
  onClose: () => void;
}

/** Sets a new password for an admin, for one who forgot theirs or whose password leaked. */
export function PasswordDialog({ admin, onSaved, onClose }: PasswordDialogProps) {
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const form = useFormState({ password: checkPassword(password) }, ['password']);

  const submit = async () => {
    if (!form.beginSubmit()) return;
    setBusy(true);
    try {
      await api.patch<AdminRecord>(`/admins/${encodeURIComponent(admin.id)}`, { password });
      onSaved();
    } catch (error) {
      form.fail(error);
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Reset the password of ${admin.username}`} onClose={onClose}>
      <form
        ref={form.formRef}
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (!busy) void submit();
        }}
      >
        <TextField
          id="admin-new-password"
          label="New password"
          type="password"
          required
          autoComplete="new-password"
          value={password}
          onChange={(value) => {
            setPassword(value);
            form.touch('password');
          }}
          error={form.errorFor('password')}
          hint="At least 12 characters. Sessions the admin already has stay signed in."
        />
        {form.formProblem ? <Notice kind="error">{form.formProblem.detail}</Notice> : null}
        <div className="button-row">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" aria-disabled={busy || undefined}>
            {busy ? 'Saving…' : 'Set password'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
