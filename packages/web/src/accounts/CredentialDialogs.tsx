import { useState } from 'react';
import type { Credential } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Notice } from '../components/Notice';
import { SelectField } from '../components/SelectField';
import { Time } from '../components/Time';
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
  /** The account's credentials, to warn when a revoke leaves none that keeps working. */
  credentials: Credential[];
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

/** Warns when a revoke leaves the account no credential, or only rotated ones whose grace period will end. */
function RevokeWarning({ revoking, credentials }: { revoking: Credential; credentials: Credential[] }) {
  if (revoking.status !== 'active') return null;

  const remaining = credentials.filter((credential) => credential.id !== revoking.id && credential.status === 'active');
  if (remaining.length === 0) {
    return <Notice kind="warning">This is the account's last working credential. The account cannot authenticate until you create a new one.</Notice>;
  }
  if (remaining.some((credential) => !credential.replacedBy)) return null;

  const lastExpiry = remaining.map((credential) => credential.expiresAt).sort().at(-1);
  return (
    <Notice kind="warning">
      The account's other credentials were rotated and only work until their grace period ends, the last at <Time value={lastExpiry ?? null} format="datetime" />. Create a new credential first, or
      clients lose access then.
    </Notice>
  );
}

/** Renders the open create, rotate or revoke dialog of the credentials tab. */
export function CredentialDialogs({ dialog, onClose, onCreate, onRotate, onRevoke, policyMaxDays, credentials }: CredentialDialogsProps) {
  if (!dialog) return null;
  if (dialog.kind === 'create') return <CreateDialog onClose={onClose} onCreate={onCreate} policyMaxDays={policyMaxDays} />;
  if (dialog.kind === 'rotate') return <RotateDialog credential={dialog.credential} onClose={onClose} onRotate={onRotate} />;
  return (
    <ConfirmDialog
      title={`Revoke credential ${dialog.credential.id.slice(0, 8)}?`}
      message={
        <>
          <p>The secret stops working at once, and tokens issued with it stop passing introspection. This cannot be undone.</p>
          <RevokeWarning revoking={dialog.credential} credentials={credentials} />
        </>
      }
      confirmLabel="Revoke"
      danger
      onClose={onClose}
      onConfirm={() => onRevoke(dialog.credential)}
    />
  );
}
