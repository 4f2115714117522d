import { useState } from 'react';
import { api } from '../api/client';
import type { AdminRecord, AdminRole, Instance } from '../api/types';
import { Dialog } from '../components/Dialog';
import { Notice } from '../components/Notice';
import { SelectField } from '../components/SelectField';
import { TextField } from '../components/TextField';
import { useFormState } from '../components/use-form-state';
import { ROLE_OPTIONS, checkInstances, checkPassword, checkUsername } from './admin-draft';
import { InstanceChecklist } from './InstanceChecklist';

interface AdminFormDialogProps {
  /** The admin to edit; without it the dialog creates a new admin. */
  existing?: AdminRecord;
  instances: Instance[];
  onSaved: (admin: AdminRecord) => void;
  onClose: () => void;
}

/** Creates an admin with a password and role, or changes an existing admin's role and instances. */
export function AdminFormDialog({ existing, instances, onSaved, onClose }: AdminFormDialogProps) {
  const [username, setUsername] = useState(existing?.username ?? '');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<AdminRole>(existing?.role ?? 'auditor');
  const [instanceIds, setInstanceIds] = useState<string[]>(existing?.instances ?? []);
  const [busy, setBusy] = useState(false);

  const clientErrors = existing
    ? { instances: checkInstances(role, instanceIds) }
    : { username: checkUsername(username), password: checkPassword(password), instances: checkInstances(role, instanceIds) };
  const form = useFormState(clientErrors, ['username', 'password', 'role', 'instances']);

  let submitLabel = existing ? 'Save changes' : 'Create admin';
  if (busy) submitLabel = 'Saving…';

  const submit = async () => {
    if (!form.beginSubmit()) return;
    setBusy(true);
    const instanceField = role === 'instance-admin' ? { instances: instanceIds } : {};
    try {
      const saved = existing
        ? await api.patch<AdminRecord>(`/admins/${encodeURIComponent(existing.id)}`, { role, ...instanceField })
        : await api.post<AdminRecord>('/admins', { username, password, role, ...instanceField });
      onSaved(saved);
    } catch (error) {
      form.fail(error);
      setBusy(false);
    }
  };

  return (
    <Dialog title={existing ? `Edit ${existing.username}` : 'Create admin'} onClose={onClose}>
      <form
        ref={form.formRef}
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (!busy) void submit();
        }}
      >
        {existing ? null : (
          <>
            <TextField
              id="admin-username"
              label="Username"
              required
              autoComplete="off"
              value={username}
              onChange={(value) => {
                setUsername(value);
                form.touch('username');
              }}
              error={form.errorFor('username')}
              hint="Letters, digits and . _ @ -, such as j.doe."
            />
            <TextField
              id="admin-password"
              label="Password"
              type="password"
              required
              autoComplete="new-password"
              value={password}
              onChange={(value) => {
                setPassword(value);
                form.touch('password');
              }}
              error={form.errorFor('password')}
              hint="At least 12 characters. Give it to the new admin over a safe channel."
            />
          </>
        )}
        <SelectField
          id="admin-role"
          label="Role"
          value={role}
          options={ROLE_OPTIONS}
          onChange={(value) => {
            setRole(value as AdminRole);
            form.touch('role');
          }}
          error={form.errorFor('role')}
        />
        {role === 'instance-admin' ? (
          <InstanceChecklist
            idPrefix="admin"
            instances={instances}
            selected={instanceIds}
            onChange={(next) => {
              setInstanceIds(next);
              form.touch('instances');
            }}
            error={form.errorFor('instances')}
          />
        ) : null}
        {form.formProblem ? <Notice kind="error">{form.formProblem.detail}</Notice> : null}
        <div className="button-row">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          {/* Stays enabled while busy, so that focus does not drop out of the dialog; the submit handler ignores repeats. */}
          <button type="submit" className="button button-primary" aria-disabled={busy || undefined}>
            {submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
