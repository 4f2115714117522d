import { CheckboxField } from '../components/CheckboxField';
import { Notice } from '../components/Notice';
import { SelectField } from '../components/SelectField';
import { TextField } from '../components/TextField';
import { type ContactDraft, type GuardrailDraft, MAX_CONTACTS, contactKey } from './guardrail-draft';

interface GuardrailFieldsProps {
  idPrefix: string;
  draft: GuardrailDraft;
  /** Changes some draft fields and marks the form key `key` as edited. */
  edit: (patch: Partial<GuardrailDraft>, key: string) => void;
  errorFor: (key: string) => string | undefined;
  /** Whether turning DPoP on would end live bearer tokens, as for a saved account that does not require it yet. */
  dpopEndsTokens: boolean;
}

const CONTACT_TYPES = [
  { value: 'email', label: 'Email' },
  { value: 'webhook', label: 'Webhook' },
];

function ContactRows({ idPrefix, draft, edit, errorFor }: Omit<GuardrailFieldsProps, 'dpopEndsTokens'>) {
  const setContacts = (contacts: ContactDraft[], key: string) => edit({ contacts }, key);
  const change = (index: number, patch: Partial<ContactDraft>) => setContacts(draft.contacts.map((contact, at) => (at === index ? { ...contact, ...patch } : contact)), contactKey(index));

  return (
    <fieldset className="contacts">
      <legend>Contacts</legend>
      <p className="field-hint">Who hears about expiring credentials and dormancy: an email address, or a webhook that receives signed JSON.</p>
      {errorFor('contacts') ? <p className="field-error">{errorFor('contacts')}</p> : null}
      {draft.contacts.map((contact, index) => {
        const id = `${idPrefix}-contact-${index}`;
        return (
          <div key={index} className="contact-row">
            <SelectField id={`${id}-type`} label={`Contact ${index + 1} type`} value={contact.type} options={CONTACT_TYPES} onChange={(type) => change(index, { type: type as ContactDraft['type'] })} />
            <TextField
              id={`${id}-value`}
              label={contact.type === 'email' ? `Contact ${index + 1} email address` : `Contact ${index + 1} webhook URL`}
              type={contact.type === 'email' ? 'text' : 'url'}
              inputMode={contact.type === 'email' ? 'text' : 'url'}
              placeholder={contact.type === 'email' ? 'team@example.com' : 'https://hooks.example.com/tessera'}
              value={contact.value}
              onChange={(value) => change(index, { value })}
              error={errorFor(contactKey(index))}
            />
            <button type="button" className="button button-small" onClick={() => setContacts(draft.contacts.filter((_, at) => at !== index), 'contacts')}>
              Remove contact {index + 1}
            </button>
          </div>
        );
      })}
      {draft.contacts.length < MAX_CONTACTS ? (
        <div>
          <button type="button" className="button button-small" onClick={() => setContacts([...draft.contacts, { type: 'email', value: '' }], 'contacts')}>
            Add contact
          </button>
        </div>
      ) : null}
    </fieldset>
  );
}

/** Renders the inputs for an account's purpose, contacts, review date, IP allowlist, rate limit and DPoP binding. */
export function GuardrailFields({ idPrefix, draft, edit, errorFor, dpopEndsTokens }: GuardrailFieldsProps) {
  return (
    <>
      <TextField
        id={`${idPrefix}-purpose`}
        label="Purpose"
        multiline
        value={draft.purpose}
        onChange={(value) => edit({ purpose: value }, 'purpose')}
        error={errorFor('purpose')}
        hint="Why the account exists and what may break without it, for whoever reviews it."
      />
      <ContactRows idPrefix={idPrefix} draft={draft} edit={edit} errorFor={errorFor} />
      <TextField
        id={`${idPrefix}-review-date`}
        label="Review date"
        type="date"
        value={draft.reviewDate}
        onChange={(value) => edit({ reviewDate: value }, 'reviewDate')}
        error={errorFor('reviewDate')}
        hint="When the owner should check that the account is still needed. Optional."
      />
      <TextField
        id={`${idPrefix}-ip-allowlist`}
        label="IP allowlist"
        multiline
        value={draft.ipAllowlist}
        onChange={(value) => edit({ ipAllowlist: value }, 'ipAllowlist')}
        error={errorFor('ipAllowlist')}
        hint="One CIDR block per line, such as 203.0.113.0/24. Token requests from other addresses are rejected. Leave empty to use the policy's default allowlist."
      />
      <fieldset className="rate-limit">
        <legend>Rate limit</legend>
        <p className="field-hint">Token requests this account may make. Leave both numbers empty for no limit.</p>
        {errorFor('rateLimit') ? <p className="field-error">{errorFor('rateLimit')}</p> : null}
        <TextField id={`${idPrefix}-per-minute`} label="Token requests per minute" inputMode="numeric" value={draft.perMinute} onChange={(value) => edit({ perMinute: value }, 'rateLimit.perMinute')} error={errorFor('rateLimit.perMinute')} />
        <TextField id={`${idPrefix}-per-day`} label="Token requests per day" inputMode="numeric" value={draft.perDay} onChange={(value) => edit({ perDay: value }, 'rateLimit.perDay')} error={errorFor('rateLimit.perDay')} />
        <SelectField
          id={`${idPrefix}-rate-mode`}
          label="When the limit is exceeded"
          value={draft.rateLimitMode}
          onChange={(value) => edit({ rateLimitMode: value as GuardrailDraft['rateLimitMode'] }, 'rateLimit.mode')}
          error={errorFor('rateLimit.mode')}
          options={[
            { value: 'enforce', label: 'Reject the token request' },
            { value: 'log_only', label: 'Only record it in the audit log' },
          ]}
        />
      </fieldset>
      <CheckboxField
        id={`${idPrefix}-dpop`}
        label="Require DPoP-bound tokens"
        checked={draft.dpopBound}
        onChange={(checked) => edit({ dpopBound: checked }, 'dpopBound')}
        error={errorFor('dpopBound')}
        hint="Tokens are then bound to a key the client proves it holds (RFC 9449), so a stolen token alone is useless. Turning this on for an existing account ends its bearer tokens."
      />
      {draft.dpopBound && dpopEndsTokens ? (
        <Notice kind="warning">Turning this on ends the account's existing bearer tokens when you save. Clients must send DPoP proofs from then on.</Notice>
      ) : null}
    </>
  );
}
