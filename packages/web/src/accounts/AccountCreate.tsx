import { useState } from 'react';
import { api } from '../api/client';
import type { CreatedAccount } from '../api/types';
import { LoadError, Loading } from '../components/LoadState';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { TextField } from '../components/TextField';
import { useFormState } from '../components/use-form-state';
import { Link, navigate } from '../router';
import { checkDisplayName, checkMaxLength } from '../validation';
import { AccessEditor } from './AccessEditor';
import { type GrantDraft, checkGrants, draftsToAccess, grantFieldKeys } from './access-draft';
import { keepCreatedAccount } from './created-secret';
import { DEFAULT_EXPIRY, type ExpiryDraft, expiryDays } from './expiry';
import { ExpiryPicker } from './ExpiryPicker';
import { EMPTY_GUARDRAILS, type GuardrailDraft, checkGuardrails, guardrailBody, guardrailFieldKeys } from './guardrail-draft';
import { GuardrailFields } from './GuardrailFields';
import { useCatalog } from './use-catalog';

/** Renders the form that creates a service account with its grants and first credential. */
export function AccountCreate() {
  const catalog = useCatalog();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [owner, setOwner] = useState('');
  const [grants, setGrants] = useState<GrantDraft[]>([]);
  const [expiry, setExpiry] = useState<ExpiryDraft>(DEFAULT_EXPIRY);
  const [guardrails, setGuardrails] = useState<GuardrailDraft>(EMPTY_GUARDRAILS);
  const [busy, setBusy] = useState(false);

  const clientErrors = {
    ...checkGuardrails(guardrails),
    name: checkDisplayName(name, 100),
    description: checkMaxLength(description, 2000),
    owner: checkMaxLength(owner, 200),
    'credential.expiresInDays': expiryDays(expiry).error,
    ...checkGrants(grants, catalog.profiles, catalog.instanceIndex, catalog.adminScopesAllowed),
  };
  const form = useFormState(clientErrors, ['name', 'description', 'owner', 'credential.expiresInDays', 'credential', 'access', ...grantFieldKeys(grants), ...guardrailFieldKeys(guardrails)]);

  const editGuardrails = (patch: Partial<GuardrailDraft>, key: string) => {
    setGuardrails((previous) => ({ ...previous, ...patch }));
    form.touch(key);
  };

  const submit = async () => {
    if (!form.beginSubmit()) return;
    setBusy(true);
    try {
      const body = {
        name,
        description,
        owner,
        ...guardrailBody(guardrails),
        access: draftsToAccess(grants),
        credential: { expiresInDays: expiryDays(expiry).days },
      };
      const created = await api.post<CreatedAccount>('/service-accounts', body);
      keepCreatedAccount(created);
      navigate(`/service-accounts/${encodeURIComponent(created.id)}/created`);
    } catch (error) {
      form.fail(error);
      setBusy(false);
    }
  };

  return (
    <div className="page page-narrow">
      <p className="breadcrumb">
        <Link to="/service-accounts">Service accounts</Link>
      </p>
      <PageTitle>Create service account</PageTitle>
      <form
        ref={form.formRef}
        noValidate
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <section className="form-section" aria-labelledby="create-details">
          <h2 id="create-details">Details</h2>
          <TextField
            id="account-name"
            label="Name"
            required
            value={name}
            onChange={(value) => {
              setName(value);
              form.touch('name');
            }}
            error={form.errorFor('name')}
            hint="1 to 100 characters, unique among service accounts, such as nightly-export."
          />
          <TextField
            id="account-description"
            label="Description"
            multiline
            value={description}
            onChange={(value) => {
              setDescription(value);
              form.touch('description');
            }}
            error={form.errorFor('description')}
            hint="What the account is for, such as the job or integration that uses it."
          />
          <TextField
            id="account-owner"
            label="Owner"
            value={owner}
            onChange={(value) => {
              setOwner(value);
              form.touch('owner');
            }}
            error={form.errorFor('owner')}
            hint="The team or person responsible, such as ops-team."
          />
        </section>

        <section className="form-section" aria-labelledby="create-guardrails">
          <h2 id="create-guardrails">Guardrails</h2>
          <GuardrailFields idPrefix="create" draft={guardrails} edit={editGuardrails} errorFor={form.errorFor} dpopEndsTokens={false} />
        </section>

        <section className="form-section" aria-labelledby="create-access">
          <h2 id="create-access">Access</h2>
          {catalog.loading && catalog.instances.length === 0 ? <Loading what="instances and profiles" /> : null}
          {catalog.problem ? <LoadError problem={catalog.problem} retry={catalog.reload} /> : null}
          <AccessEditor idPrefix="create" catalog={catalog} drafts={grants} onChange={setGrants} errorFor={form.errorFor} touch={form.touch} />
        </section>

        <section className="form-section" aria-labelledby="create-credential">
          <h2 id="create-credential">Credential</h2>
          <ExpiryPicker
            idPrefix="create"
            value={expiry}
            onChange={(value) => {
              setExpiry(value);
              form.touch('credential.expiresInDays');
            }}
            error={form.errorFor('credential.expiresInDays') ?? form.errorFor('credential')}
            policyMaxDays={catalog.policy?.credentials.maxLifetimeDays}
          />
        </section>

        {form.formProblem ? <Notice kind="error">{form.formProblem.detail}</Notice> : null}
        {form.problem && !form.formProblem ? <Notice kind="error">Not created: {form.problem.title} See the field marked above.</Notice> : null}
        <div className="button-row">
          <Link to="/service-accounts" className="button">
            Cancel
          </Link>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create service account'}
          </button>
        </div>
      </form>
    </div>
  );
}
