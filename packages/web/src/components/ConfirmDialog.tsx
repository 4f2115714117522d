import { type ReactNode, useId, useState } from 'react';
import { problemOf } from '../api/client';
import type { Problem } from '../api/types';
import { Dialog } from './Dialog';
import { Notice } from './Notice';

interface ConfirmDialogProps {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  /** Styles the confirm button as destructive. */
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  /** Extra inputs between the message and the buttons; `canConfirm` decides whether they are complete. */
  children?: ReactNode;
  canConfirm?: boolean;
  /** Receives a failed action's problem. Returns true when the dialog's own inputs show it, so it is not repeated below them. */
  onFailure?: (problem: Problem) => boolean;
}

/** Renders a confirmation dialog that runs an action and shows the server's problem detail if it fails. */
export function ConfirmDialog({ title, message, confirmLabel, danger, onConfirm, onClose, children, canConfirm = true, onFailure }: ConfirmDialogProps) {
  const messageId = useId();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();

  const confirm = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      await onConfirm();
    } catch (error) {
      const next = problemOf(error);
      setProblem(onFailure?.(next) ? undefined : next);
      setBusy(false);
    }
  };

  return (
    <Dialog title={title} onClose={onClose} describedBy={messageId}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (canConfirm && !busy) void confirm();
        }}
      >
        <div id={messageId} className="dialog-message">
          {message}
        </div>
        {children}
        {problem ? <Notice kind="error">{problem.detail}</Notice> : null}
        <div className="button-row">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          {/* Stays enabled while busy, so that focus does not drop out of the dialog; the submit handler ignores repeats. */}
          <button type="submit" className={danger ? 'button button-danger' : 'button button-primary'} disabled={!canConfirm} aria-disabled={busy || undefined}>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
