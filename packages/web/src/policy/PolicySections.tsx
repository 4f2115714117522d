import { CheckboxField } from '../components/CheckboxField';
import { SelectField } from '../components/SelectField';
import { TextField } from '../components/TextField';
import { ScopePicker } from '../accounts/ScopePicker';
import type { Catalog } from '../accounts/use-catalog';
import { useRole } from '../session-context';
import { type PolicyDraft, allowedScopesKey } from './policy-draft';

export interface SectionProps {
  draft: PolicyDraft;
  /** Changes some draft fields and marks the form key `key` as edited. */
  edit: (patch: Partial<PolicyDraft>, key: string) => void;
  errorFor: (key: string) => string | undefined;
}

export function CredentialsSection({ draft, edit, errorFor }: SectionProps) {
  return (
    <section className="form-section" aria-labelledby="policy-credentials">
      <h2 id="policy-credentials">Credentials</h2>
      <TextField
        id="policy-max-lifetime-days"
        label="Maximum credential lifetime in days"
        inputMode="numeric"
        value={draft.maxLifetimeDays}
        onChange={(value) => edit({ maxLifetimeDays: value }, 'credentials.maxLifetimeDays')}
        error={errorFor('credentials.maxLifetimeDays')}
        hint="1 to 3650. Leave empty for no maximum. With a maximum, every new credential needs an expiry."
      />
      <CheckboxField
        id="policy-expiry-required"
        label="Every credential must have an expiry"
        checked={draft.expiryRequired}
        onChange={(checked) => edit({ expiryRequired: checked }, 'credentials.expiryRequired')}
        error={errorFor('credentials.expiryRequired')}
      />
      <TextField
        id="policy-max-live"
        label="Maximum live credentials per account"
        inputMode="numeric"
        value={draft.maxLivePerAccount}
        onChange={(value) => edit({ maxLivePerAccount: value }, 'credentials.maxLivePerAccount')}
        error={errorFor('credentials.maxLivePerAccount')}
        hint="1 to 100. Leave empty for no maximum. A rotation does not count the credential it replaces."
      />
      <TextField
        id="policy-block-from"
        label="Reject non-compliant credentials from"
        type="date"
        value={draft.blockNoncompliantFrom}
        onChange={(value) => edit({ blockNoncompliantFrom: value }, 'credentials.blockNoncompliantFrom')}
        error={errorFor('credentials.blockNoncompliantFrom')}
        hint="From 00:00 UTC on this day, the token endpoint rejects existing credentials that break this policy. Leave empty to only report them."
      />
    </section>
  );
}

export function AccessTokensSection({ draft, edit, errorFor }: SectionProps) {
  return (
    <section className="form-section" aria-labelledby="policy-tokens">
      <h2 id="policy-tokens">Access tokens</h2>
      <TextField
        id="policy-default-token-lifetime"
        label="Default access-token lifetime in seconds"
        inputMode="numeric"
        required
        value={draft.defaultLifetimeSeconds}
        onChange={(value) => edit({ defaultLifetimeSeconds: value }, 'accessTokens.defaultLifetimeSeconds')}
        error={errorFor('accessTokens.defaultLifetimeSeconds')}
        hint="60 to 86400, and at most the maximum. Applies to instances that set no lifetime of their own."
      />
      <TextField
        id="policy-max-token-lifetime"
        label="Maximum access-token lifetime in seconds"
        inputMode="numeric"
        required
        value={draft.maxLifetimeSeconds}
        onChange={(value) => edit({ maxLifetimeSeconds: value }, 'accessTokens.maxLifetimeSeconds')}
        error={errorFor('accessTokens.maxLifetimeSeconds')}
        hint="60 to 86400. Caps every token, including instances' own settings."
      />
    </section>
  );
}

export function ScopesSection({ draft, edit, errorFor, catalog }: SectionProps & { catalog: Catalog }) {
  const setAllowed = (slug: string, scopes: string[] | undefined) => {
    const next = { ...draft.allowedByInstance };
    if (scopes === undefined) delete next[slug];
    else next[slug] = scopes;
    edit({ allowedByInstance: next }, allowedScopesKey(slug));
  };
  // A list kept for an instance that no longer exists stays visible, so that it can be removed. An
  // instance-admin's catalogue holds only its own instances, so a missing one may well exist.
  const seesEveryInstance = useRole() !== 'instance-admin';
  const unknownSlugs = seesEveryInstance ? Object.keys(draft.allowedByInstance).filter((slug) => !catalog.instanceIndex.has(slug)) : [];

  return (
    <section className="form-section" aria-labelledby="policy-scopes">
      <h2 id="policy-scopes">Scopes</h2>
      <CheckboxField
        id="policy-admin-scopes"
        label="Allow admin-level scopes"
        checked={draft.adminScopesAllowed}
        onChange={(checked) => edit({ adminScopesAllowed: checked }, 'scopes.adminScopesAllowed')}
        error={errorFor('scopes.adminScopesAllowed')}
        hint="Admin-level scopes, such as Jira's ADMIN, let an account change the product's configuration. Service accounts cannot hold them unless this is on."
      />
      <p className="field-hint">Each instance allows every scope of its profile unless you limit it here. Existing grants with other scopes are listed as non-compliant.</p>
      {seesEveryInstance ? null : <p className="field-hint">Only the instances assigned to you are shown.</p>}
      {catalog.instances.map((instance) => {
        const profile = catalog.profiles.get(instance.profile);
        const allowed = draft.allowedByInstance[instance.slug];
        const key = allowedScopesKey(instance.slug);
        return (
          <fieldset key={instance.id} className="policy-instance">
            <legend>
              {instance.name} <span className="muted">({instance.slug})</span>
            </legend>
            <CheckboxField id={`policy-limit-${instance.slug}`} label={`Limit the scopes on ${instance.slug}`} checked={allowed !== undefined} onChange={(checked) => setAllowed(instance.slug, checked ? [] : undefined)} />
            {allowed !== undefined && profile ? (
              <ScopePicker
                idPrefix={`policy-${instance.slug}`}
                legend={`Allowed scopes on ${instance.slug}`}
                profile={profile}
                selected={allowed}
                allowAdminLevel={draft.adminScopesAllowed}
                onChange={(scopes) => setAllowed(instance.slug, scopes)}
                error={errorFor(key)}
              />
            ) : null}
            {allowed !== undefined && !profile ? <p className="field-error">The profile {instance.profile} is not loaded, so its scopes cannot be shown.</p> : null}
          </fieldset>
        );
      })}
      {unknownSlugs.map((slug) => (
        <div key={slug} className="field">
          <p className="field-static">
            Allowed scopes for <code>{slug}</code>, which is no longer an instance: {draft.allowedByInstance[slug].join(', ') || 'none'}.
          </p>
          {errorFor(allowedScopesKey(slug)) ? <p className="field-error">{errorFor(allowedScopesKey(slug))}</p> : null}
          <button type="button" className="button button-small" onClick={() => setAllowed(slug, undefined)}>
            Remove the list for {slug}
          </button>
        </div>
      ))}
    </section>
  );
}

export function NetworkSection({ draft, edit, errorFor }: SectionProps) {
  return (
    <section className="form-section" aria-labelledby="policy-network">
      <h2 id="policy-network">Network</h2>
      <TextField
        id="policy-ip-allowlist"
        label="Default IP allowlist"
        multiline
        value={draft.defaultIpAllowlist}
        onChange={(value) => edit({ defaultIpAllowlist: value }, 'network.defaultIpAllowlist')}
        error={errorFor('network.defaultIpAllowlist')}
        hint="One CIDR block per line, such as 203.0.113.0/24 or 2001:db8::/48. Applies to accounts without their own allowlist. Leave empty to allow any address."
      />
    </section>
  );
}

export function DormancySection({ draft, edit, errorFor }: SectionProps) {
  return (
    <section className="form-section" aria-labelledby="policy-dormancy">
      <h2 id="policy-dormancy">Dormancy</h2>
      <TextField
        id="policy-dormancy-days"
        label="Dormant after days unused"
        inputMode="numeric"
        value={draft.dormancyAfterDays}
        onChange={(value) => edit({ dormancyAfterDays: value }, 'dormancy.afterDays')}
        error={errorFor('dormancy.afterDays')}
        hint="1 to 3650. Leave empty to turn dormancy checks off."
      />
      <SelectField
        id="policy-dormancy-action"
        label="Action on a dormant account"
        value={draft.dormancyAction}
        onChange={(value) => edit({ dormancyAction: value as PolicyDraft['dormancyAction'] }, 'dormancy.action')}
        error={errorFor('dormancy.action')}
        options={[
          { value: 'flag', label: 'Flag it as dormant' },
          { value: 'disable', label: 'Flag it and disable it' },
        ]}
      />
      <TextField
        id="policy-dormancy-warn"
        label="Warn contacts days before"
        inputMode="numeric"
        required
        value={draft.warnDaysBefore}
        onChange={(value) => edit({ warnDaysBefore: value }, 'dormancy.warnDaysBefore')}
        error={errorFor('dormancy.warnDaysBefore')}
        hint="0 to 365, and fewer than the dormancy days."
      />
    </section>
  );
}

export function NotificationsSection({ draft, edit, errorFor }: SectionProps) {
  return (
    <section className="form-section" aria-labelledby="policy-notifications">
      <h2 id="policy-notifications">Notifications</h2>
      <TextField
        id="policy-lead-days"
        label="Notify before a credential expires, in days"
        value={draft.expiryLeadDays}
        onChange={(value) => edit({ expiryLeadDays: value }, 'notifications.expiryLeadDays')}
        error={errorFor('notifications.expiryLeadDays')}
        hint="Up to 10 days from 1 to 365, separated by commas, such as 30, 7, 1. Leave empty for none."
      />
    </section>
  );
}
