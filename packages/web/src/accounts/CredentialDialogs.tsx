import { useState } from 'react';
import type { Credential } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { SelectField } from '../components/SelectField';
import { DEFAULT_EXPIRY, type ExpiryDraft, expiryDays } from './expiry';
import { ExpiryPicker } from './ExpiryPicker';

export type CredentialDialog = { kind: 'create' } | { kind: 'rotate'; credential: Credential } | { kind: 'revoke'; credential: Credential };

interface CredentialDialogsProps {
  dialog: CredentialDialog | undefined;
  onClose: () => void;
  onCreate: (expiresInDays: number) => Promise<void>;
  onRotate: (credential: Credential, gracePeriodSeconds: number) => Promise<void>;
  onRevoke: (credential: Credential) => Promise<void>;
  /** The policy's maximum credential lifetime in days, for the create dialog's hint. */
  policyMaxDays?: number | null;
}

const GRACE_PERIODS = [
  { value: '0', label: 'None: the old secret stops working now' },
  { value: '3600', label: '1 hour' },
  { value: '86400', label: '24 hours' },
  { value: '604800', label: '7 days' },
];

function CreateDialog({ onClose, onCreate, policyMaxDays }: Pick<CredentialDialogsProps, 'onClose' | 'onCreate' | 'policyMaxDays'>) {
  const [expiry, setExpiry] = useState<ExpiryDraft>(DEFAULT_EXPIRY);
  // The server's objection to the expiry, such as a lifetime above the policy's maximum, shown at the picker until it changes.
  const [serverError, setServerError] = useState<string>();
  const { days, error } = expiryDays(expiry);
  const clientError = expiry.choice === 'date' && expiry.date ? error : undefined;
  return (
    <ConfirmDialog
      title="Create credential"
      message={<p>The account gets a new client secret alongside its current ones. The secret is shown once.</p>}
      confirmLabel="Create credential"
      canConfirm={days !== undefined}
      onClose={onClose}
      onConfirm={() => onCreate(days as number)}
      onFailure={(problem) => {
        if (problem.field !== 'expiresInDays') return false;
        setServerError(problem.detail);
        return true;
      }}
    >
      <ExpiryPicker
        idPrefix="new-credential"
        value={expiry}
        onChange={(next) => {
          setExpiry(next);
          setServerError(undefined);
        }}
        error={clientError ?? serverError}
        policyMaxDays={policyMaxDays}
      />
    </ConfirmDialog>
  );
}

function RotateDialog({ credential, onClose, onRotate }: { credential: Credential } & Pick<CredentialDialogsProps, 'onClose' | 'onRotate'>) {
  const [grace, setGrace] = useState('86400');
  return (
    <ConfirmDialog
      title={`Rotate credential ${credential.id.slice(0, 8)}?`}
      message={<p>A new secret replaces this one, with the same lifetime. The old secret keeps working for the grace period, so that clients can switch over.</p>}
      confirmLabel="Rotate"
      onClose={onClose}
      onConfirm={() => onRotate(credential, Number(grace))}
    >
      <SelectField id="rotate-grace" label="Grace period for the old secret" value={grace} onChange={setGrace} options={GRACE_PERIODS} />
    </ConfirmDialog>
  );
}

/** Renders the open create, rotate or revoke dialog of the credentials tab. */
export function CredentialDialogs({ dialog, onClose, onCreate, onRotate, onRevoke, policyMaxDays }: CredentialDialogsProps) {
  if (!dialog) return null;
  if (dialog.kind === 'create') return <CreateDialog onClose={onClose} onCreate={onCreate} policyMaxDays={policyMaxDays} />;
  if (dialog.kind === 'rotate') return <RotateDialog credential={dialog.credential} onClose={onClose} onRotate={onRotate} />;
  return (
    <ConfirmDialog
      title={`Revoke credential ${dialog.credential.id.slice(0, 8)}?`}
      message={<p>The secret stops working at once, and tokens issued with it stop passing introspection. This cannot be undone.</p>}
      confirmLabel="Revoke"
      danger
      onClose={onClose}
      onConfirm={() => onRevoke(dialog.credential)}
    />
  );
}
