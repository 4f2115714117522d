import { useState } from 'react';
import type { ServiceAccount } from '../api/types';
import { Notice } from '../components/Notice';
import { TextField } from '../components/TextField';
import { Time } from '../components/Time';
import { useFormState } from '../components/use-form-state';
import { checkDisplayName, checkMaxLength } from '../validation';
import { AccessSummary } from './AccessSummary';
import { type GuardrailDraft, checkGuardrails, guardrailBody, guardrailDraftOf, guardrailFieldKeys } from './guardrail-draft';
import { GuardrailFields } from './GuardrailFields';
import { GuardrailSummary } from './GuardrailSummary';
import type { Catalog } from './use-catalog';

interface OverviewTabProps {
  account: ServiceAccount;
  catalog: Catalog;
  canEdit: boolean;
  onUpdate: (body: Record<string, unknown>, message: string) => Promise<unknown>;
}

function DetailsForm({ account, onUpdate, onDone }: { account: ServiceAccount; onUpdate: OverviewTabProps['onUpdate']; onDone: () => void }) {
  const [name, setName] = useState(account.name);
  const [description, setDescription] = useState(account.description);
  const [owner, setOwner] = useState(account.owner);
  const [guardrails, setGuardrails] = useState<GuardrailDraft>(() => guardrailDraftOf(account));
  const [busy, setBusy] = useState(false);
  const form = useFormState(
    { name: checkDisplayName(name, 100), description: checkMaxLength(description, 2000), owner: checkMaxLength(owner, 200), ...checkGuardrails(guardrails) },
    ['name', 'description', 'owner', ...guardrailFieldKeys(guardrails)],
  );

  const edit = (setter: (value: string) => void, key: string, value: string) => {
    setter(value);
    form.touch(key);
  };

  const editGuardrails = (patch: Partial<GuardrailDraft>, key: string) => {
    setGuardrails((previous) => ({ ...previous, ...patch }));
    form.touch(key);
  };

  const submit = async () => {
    if (!form.beginSubmit()) return;
    setBusy(true);
    try {
      await onUpdate({ name, description, owner, ...guardrailBody(guardrails) }, 'Saved the details.');
      onDone();
    } catch (error) {
      form.fail(error);
      setBusy(false);
    }
  };

  return (
    <form
      ref={form.formRef}
      noValidate
      className="form"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <TextField id="edit-name" label="Name" required value={name} error={form.errorFor('name')} onChange={(value) => edit(setName, 'name', value)} />
      <TextField id="edit-description" label="Description" multiline value={description} error={form.errorFor('description')} onChange={(value) => edit(setDescription, 'description', value)} />
      <TextField id="edit-owner" label="Owner" value={owner} error={form.errorFor('owner')} onChange={(value) => edit(setOwner, 'owner', value)} />
      <GuardrailFields idPrefix="edit" draft={guardrails} edit={editGuardrails} errorFor={form.errorFor} dpopEndsTokens={!account.dpopBound} />
      {form.formProblem ? <Notice kind="error">{form.formProblem.detail}</Notice> : null}
      {form.problem && !form.formProblem ? <Notice kind="error">Not saved: {form.problem.title} See the field marked above.</Notice> : null}
      <div className="button-row">
        <button type="button" className="button" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save details'}
        </button>
      </div>
    </form>
  );
}

/** Shows the account's details, editable by admins, and a summary of its access. */
export function OverviewTab({ account, catalog, canEdit, onUpdate }: OverviewTabProps) {
  const [editing, setEditing] = useState(false);

  return (
    <div className="overview">
      <section aria-labelledby="overview-details">
        <div className="section-header">
          <h2 id="overview-details">Details</h2>
          {canEdit && !editing ? (
            <button type="button" className="button button-small" onClick={() => setEditing(true)}>
              Edit details
            </button>
          ) : null}
        </div>
        {editing ? (
          <DetailsForm account={account} onUpdate={onUpdate} onDone={() => setEditing(false)} />
        ) : (
          <dl className="details">
            <dt>Description</dt>
            <dd>{account.description || <span className="muted">None</span>}</dd>
            <dt>Owner</dt>
            <dd>{account.owner || <span className="muted">None</span>}</dd>
            <dt>Created</dt>
            <dd>
              <Time value={account.createdAt} format="datetime" />
            </dd>
            <dt>Last changed</dt>
            <dd>
              <Time value={account.updatedAt} format="datetime" />
            </dd>
            <dt>Last used</dt>
            <dd>
              <Time value={account.lastUsedAt} empty="Never" />
              {account.lastUsedIp ? <span className="muted"> from {account.lastUsedIp}</span> : null}
            </dd>
            <dt>Next credential expiry</dt>
            <dd>
              <Time value={account.credentialExpiresAt} format="datetime" empty="No live credential expires" />
            </dd>
            <GuardrailSummary account={account} />
          </dl>
        )}
      </section>
      <section aria-labelledby="overview-access">
        <h2 id="overview-access">Access</h2>
        <AccessSummary access={account.access} catalog={catalog} />
      </section>
    </div>
  );
}
