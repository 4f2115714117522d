import { useState } from 'react';
import { api } from '../api/client';
import type { SavedPolicy, StoredPolicy } from '../api/types';
import { useResource } from '../api/use-resource';
import { LoadError, Loading } from '../components/LoadState';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { Time } from '../components/Time';
import { useFormState } from '../components/use-form-state';
import { Link } from '../router';
import { ReadOnlyNotice } from '../components/ReadOnlyNotice';
import { useCanEdit } from '../session-context';
import { type Catalog, useCatalog } from '../accounts/use-catalog';
import { POLICY_FIELD_KEYS, type PolicyDraft, allowedScopesKey, checkPolicyDraft, draftOf, policyBody } from './policy-draft';
import { AccessTokensSection, CredentialsSection, DormancySection, NetworkSection, NotificationsSection, ScopesSection } from './PolicySections';

function SavedNotice({ saved }: { saved: SavedPolicy }) {
  const { credentials, accounts, grants } = saved.noncompliant;
  const total = credentials + accounts + grants;
  if (total === 0) return <Notice kind="success">Saved the policy. Everything that exists today complies with it.</Notice>;
  return (
    <Notice kind="warning">
      <p>
        Saved the policy. Existing things that break it: {credentials} credential(s), {accounts} account(s) with too many live credentials, {grants} grant(s).
      </p>
      <p>
        <Link to="/policy/noncompliant">Review the non-compliant list</Link>
      </p>
    </Notice>
  );
}

interface PolicyFormProps {
  policy: StoredPolicy;
  catalog: Catalog;
  canEdit: boolean;
  onSubmit: () => void;
  onSaved: (saved: SavedPolicy) => void;
}

function PolicyForm({ policy, catalog, canEdit, onSubmit, onSaved }: PolicyFormProps) {
  const [draft, setDraft] = useState<PolicyDraft>(() => draftOf(policy));
  const [busy, setBusy] = useState(false);
  const scopeKeys = [...new Set([...catalog.instances.map((instance) => instance.slug), ...Object.keys(draft.allowedByInstance)])].map(allowedScopesKey);
  const form = useFormState(checkPolicyDraft(draft), [...POLICY_FIELD_KEYS, ...scopeKeys]);

  const edit = (patch: Partial<PolicyDraft>, key: string) => {
    setDraft((previous) => ({ ...previous, ...patch }));
    form.touch(key);
  };

  const submit = async () => {
    onSubmit();
    if (!form.beginSubmit()) return;
    setBusy(true);
    try {
      onSaved(await api.put<SavedPolicy>('/policy', policyBody(draft)));
      setBusy(false);
    } catch (error) {
      form.fail(error);
      setBusy(false);
    }
  };

  const sections = { draft, edit, errorFor: form.errorFor };
  return (
    <form
      ref={form.formRef}
      noValidate
      className="form"
      aria-label="Organisation policy"
      onSubmit={(event) => {
        event.preventDefault();
        if (canEdit) void submit();
      }}
    >
      {/* A disabled fieldset makes every input inside it read-only for auditors. */}
      <fieldset className="plain-fieldset" disabled={!canEdit}>
        <CredentialsSection {...sections} />
        <AccessTokensSection {...sections} />
        <ScopesSection {...sections} catalog={catalog} />
        <NetworkSection {...sections} />
        <DormancySection {...sections} />
        <NotificationsSection {...sections} />
      </fieldset>

      {form.formProblem ? <Notice kind="error">{form.formProblem.detail}</Notice> : null}
      {form.problem && !form.formProblem ? <Notice kind="error">Not saved: {form.problem.title} See the field marked above.</Notice> : null}
      {canEdit ? (
        <div className="button-row">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save policy'}
          </button>
        </div>
      ) : null}
    </form>
  );
}

/** Shows the organisation policy as a form that admins save and auditors only read. */
export function PolicyPage() {
  const resource = useResource<StoredPolicy>('/policy');
  const catalog = useCatalog();
  const canEdit = useCanEdit();
  const [saved, setSaved] = useState<SavedPolicy>();
  // The report of the last save shows until the next save starts.
  const [report, setReport] = useState<SavedPolicy>();
  // Each save renews the form with the policy as the server stored it (CIDR blocks normalised, days sorted).
  const [saveCount, setSaveCount] = useState(0);
  const policy = saved ?? resource.data;

  const onSaved = (next: SavedPolicy) => {
    setSaved(next);
    setReport(next);
    setSaveCount((count) => count + 1);
  };

  return (
    <div className="page page-narrow">
      <div className="page-header">
        <PageTitle>Policy</PageTitle>
        <Link to="/policy/noncompliant" className="button">
          Non-compliant
        </Link>
      </div>
      <p className="field-hint page-intro">Guardrails that every service account, credential and token request is checked against.</p>
      {policy?.updatedAt ? (
        <p className="field-hint">
          Last saved <Time value={policy.updatedAt} format="datetime" />.
        </p>
      ) : null}
      <ReadOnlyNotice subject="the policy" organisationWide />
      {report ? <SavedNotice saved={report} /> : null}
      {resource.problem ? <LoadError problem={resource.problem} retry={resource.reload} /> : null}
      {catalog.problem ? <LoadError problem={catalog.problem} retry={catalog.reload} /> : null}
      {!policy && !resource.problem ? <Loading what="the policy" /> : null}
      {policy && (!catalog.loading || catalog.instances.length > 0) ? (
        <PolicyForm key={saveCount} policy={policy} catalog={catalog} canEdit={canEdit} onSubmit={() => setReport(undefined)} onSaved={onSaved} />
      ) : null}
    </div>
  );
}
