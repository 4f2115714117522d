import { useState } from 'react';
import { api } from '../api/client';
import type { Instance, Page, Profile } from '../api/types';
import { useResource } from '../api/use-resource';
import { setFlash } from '../components/flash';
import { LoadError, Loading } from '../components/LoadState';
import { Notice } from '../components/Notice';
import { PageTitle } from '../components/PageTitle';
import { SelectField } from '../components/SelectField';
import { TextField } from '../components/TextField';
import { useFormState } from '../components/use-form-state';
import { Link, navigate } from '../router';
import { checkAudience, checkDisplayName, checkOptionalInteger, checkSlug } from '../validation';

const MIN_LIFETIME = 60;
const MAX_LIFETIME = 86400;

function InstanceEditor({ existing, profiles }: { existing?: Instance; profiles: Profile[] }) {
  const [slug, setSlug] = useState(existing?.slug ?? '');
  const [name, setName] = useState(existing?.name ?? '');
  const [profile, setProfile] = useState(existing?.profile ?? profiles[0]?.name ?? '');
  const [audience, setAudience] = useState(existing?.audience ?? '');
  const [lifetime, setLifetime] = useState(existing?.accessTokenLifetimeSeconds ? String(existing.accessTokenLifetimeSeconds) : '');
  const [tokenFormat, setTokenFormat] = useState<string>(existing?.tokenFormat ?? 'jwt');
  const [busy, setBusy] = useState(false);

  const form = useFormState(
    {
      slug: existing ? undefined : checkSlug(slug),
      name: checkDisplayName(name, 200),
      profile: profile ? undefined : 'Choose a profile.',
      audience: checkAudience(audience),
      accessTokenLifetimeSeconds: checkOptionalInteger(lifetime, MIN_LIFETIME, MAX_LIFETIME, 'seconds'),
    },
    ['slug', 'name', 'profile', 'audience', 'accessTokenLifetimeSeconds', 'tokenFormat'],
  );
  const edit = (setter: (value: string) => void, key: string) => (value: string) => {
    setter(value);
    form.touch(key);
  };

  const submit = async () => {
    if (!form.beginSubmit()) return;
    setBusy(true);
    const accessTokenLifetimeSeconds = lifetime.trim() === '' ? null : Number(lifetime);
    try {
      if (existing) {
        await api.patch<Instance>(`/instances/${encodeURIComponent(existing.id)}`, { name, audience, accessTokenLifetimeSeconds, tokenFormat });
      } else {
        await api.post<Instance>('/instances', { slug, name, profile, audience, tokenFormat, ...(accessTokenLifetimeSeconds === null ? {} : { accessTokenLifetimeSeconds }) });
      }
      navigate('/instances');
      setFlash('/instances', existing ? `Saved the instance ${name}.` : `Added the instance ${name}.`);
    } catch (error) {
      form.fail(error);
      setBusy(false);
    }
  };

  const chosenProfile = profiles.find((candidate) => candidate.name === profile);
  const submitLabel = existing ? 'Save instance' : 'Add instance';
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
      <TextField id="instance-name" label="Name" required value={name} onChange={edit(setName, 'name')} error={form.errorFor('name')} hint="Shown in the panel, such as Jira (production)." />
      {existing ? (
        <p className="field-static">
          Slug <code>{existing.slug}</code> and profile <code>{existing.profile}</code> cannot change.
        </p>
      ) : (
        <>
          <TextField id="instance-slug" label="Slug" required value={slug} onChange={edit(setSlug, 'slug')} error={form.errorFor('slug')} hint="2 to 63 lowercase letters, digits and hyphens, such as jira-prod. Grants name the instance by it." />
          <SelectField
            id="instance-profile"
            label="Profile"
            required
            value={profile}
            onChange={edit(setProfile, 'profile')}
            error={form.errorFor('profile')}
            options={profiles.filter((candidate) => !candidate.reserved).map((candidate) => ({ value: candidate.name, label: candidate.title }))}
            hint={chosenProfile ? `Scopes: ${chosenProfile.scopes.map((scope) => scope.name).join(', ')}. Resource types: ${chosenProfile.resourceTypes.join(', ') || 'none'}.` : undefined}
          />
        </>
      )}
      <TextField id="instance-audience" label="Audience" type="url" required value={audience} onChange={edit(setAudience, 'audience')} error={form.errorFor('audience')} hint="The product's base URL, such as https://jira.example.com. It becomes the aud claim of its tokens." />
      <TextField
        id="instance-lifetime"
        label="Access-token lifetime in seconds"
        inputMode="numeric"
        value={lifetime}
        onChange={edit(setLifetime, 'accessTokenLifetimeSeconds')}
        error={form.errorFor('accessTokenLifetimeSeconds')}
        hint={`Optional, ${MIN_LIFETIME} to ${MAX_LIFETIME}. Leave empty for the server default.`}
      />
      <SelectField
        id="instance-token-format"
        label="Token format"
        value={tokenFormat}
        onChange={edit(setTokenFormat, 'tokenFormat')}
        error={form.errorFor('tokenFormat')}
        options={[
          { value: 'jwt', label: 'JWT, verified by the product with the public keys' },
          { value: 'opaque', label: 'Opaque, checked by the product through introspection' },
        ]}
        hint="Opaque tokens reveal nothing and stop working as soon as they are revoked, but every check asks Tessera. A change applies to new tokens."
      />
      {form.formProblem ? <Notice kind="error">{form.formProblem.detail}</Notice> : null}
      <div className="button-row">
        <Link to="/instances" className="button">
          Cancel
        </Link>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
      </div>
    </form>
  );
}

/** Adds an instance, or edits one when `id` (its slug or id) is given. */
export function InstanceForm({ id }: { id?: string }) {
  const profiles = useResource<Page<Profile>>('/profiles');
  const existing = useResource<Instance>(id ? `/instances/${encodeURIComponent(id)}` : null);
  const problem = profiles.problem ?? existing.problem;
  const ready = profiles.data && (!id || existing.data);

  return (
    <div className="page page-narrow">
      <p className="breadcrumb">
        <Link to="/instances">Product instances</Link>
      </p>
      <PageTitle>{id ? 'Edit instance' : 'Add instance'}</PageTitle>
      {problem ? <LoadError problem={problem} retry={() => {
            profiles.reload();
            existing.reload();
          }} /> : null}
      {!ready && !problem ? <Loading what={id ? 'the instance' : 'profiles'} /> : null}
      {ready ? <InstanceEditor existing={existing.data} profiles={profiles.data?.items ?? []} /> : null}
    </div>
  );
}
