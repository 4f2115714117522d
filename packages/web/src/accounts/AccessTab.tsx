import { useState } from 'react';
import type { ServiceAccount } from '../api/types';
import { LoadError, Loading } from '../components/LoadState';
import { Notice } from '../components/Notice';
import { useFormState } from '../components/use-form-state';
import { AccessEditor } from './AccessEditor';
import { AccessSummary } from './AccessSummary';
import { type GrantDraft, checkGrants, draftsToAccess, grantFieldKeys, grantToDraft } from './access-draft';
import type { Catalog } from './use-catalog';

interface AccessTabProps {
  account: ServiceAccount;
  catalog: Catalog;
  canEdit: boolean;
  onUpdate: (body: Record<string, unknown>, message: string) => Promise<unknown>;
}

function draftsOf(account: ServiceAccount, catalog: Catalog): GrantDraft[] {
  return account.access.map((grant) => {
    const instance = catalog.instanceIndex.get(grant.instanceId ?? grant.instance) ?? catalog.instanceIndex.get(grant.instance);
    return grantToDraft(grant, catalog.profiles.get(instance?.profile ?? ''));
  });
}

function AccessForm({ account, catalog, onUpdate }: Omit<AccessTabProps, 'canEdit'>) {
  const [drafts, setDrafts] = useState<GrantDraft[]>(() => draftsOf(account, catalog));
  const [busy, setBusy] = useState(false);
  const form = useFormState(checkGrants(drafts, catalog.profiles, catalog.instanceIndex, catalog.adminScopesAllowed), ['access', ...grantFieldKeys(drafts)]);

  const submit = async () => {
    if (!form.beginSubmit()) return;
    setBusy(true);
    try {
      await onUpdate({ access: draftsToAccess(drafts) }, 'Saved the access.');
    } catch (error) {
      form.fail(error);
    }
    setBusy(false);
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
      <p className="field-hint">Narrowing access makes tokens issued before that no longer fit the grant fail introspection at once.</p>
      <AccessEditor idPrefix="edit" catalog={catalog} drafts={drafts} onChange={setDrafts} errorFor={form.errorFor} touch={form.touch} />
      {form.formProblem ? <Notice kind="error">{form.formProblem.detail}</Notice> : null}
      {form.problem && !form.formProblem ? <Notice kind="error">Not saved: {form.problem.title} See the field marked above.</Notice> : null}
      <div className="button-row">
        <button
          type="button"
          className="button"
          onClick={() => {
            setDrafts(draftsOf(account, catalog));
            form.clearProblem();
          }}
        >
          Undo changes
        </button>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save access'}
        </button>
      </div>
    </form>
  );
}

/** Shows the account's grants, as a form for admins and read-only for auditors. */
export function AccessTab({ account, catalog, canEdit, onUpdate }: AccessTabProps) {
  if (catalog.problem) return <LoadError problem={catalog.problem} retry={catalog.reload} />;
  if (catalog.loading && catalog.profiles.size === 0) return <Loading what="instances and profiles" />;

  return (
    <section aria-labelledby="access-title">
      <h2 id="access-title">Access</h2>
      {canEdit ? <AccessForm account={account} catalog={catalog} onUpdate={onUpdate} /> : <AccessSummary access={account.access} catalog={catalog} />}
    </section>
  );
}
