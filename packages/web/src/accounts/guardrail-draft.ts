import type { Contact, ServiceAccount } from '../api/types';
import { checkMaxLength, checkOptionalInteger, parseLines } from '../validation';

export interface ContactDraft {
  type: Contact['type'];
  /** The email address or the webhook URL, as typed. */
  value: string;
}

/** An account's guardrail fields as the create and edit forms hold them, numbers and lists as typed text. */
export interface GuardrailDraft {
  purpose: string;
  contacts: ContactDraft[];
  /** YYYY-MM-DD from a date input, or empty for none. */
  reviewDate: string;
  /** One CIDR block per line. Empty means the policy's default allowlist applies. */
  ipAllowlist: string;
  perMinute: string;
  perDay: string;
  rateLimitMode: 'enforce' | 'log_only';
  dpopBound: boolean;
}

export const EMPTY_GUARDRAILS: GuardrailDraft = { purpose: '', contacts: [], reviewDate: '', ipAllowlist: '', perMinute: '', perDay: '', rateLimitMode: 'enforce', dpopBound: false };

export const MAX_CONTACTS = 20;

export function guardrailDraftOf(account: ServiceAccount): GuardrailDraft {
  return {
    purpose: account.purpose,
    contacts: account.contacts.map((contact) => ({ type: contact.type, value: contact.type === 'email' ? contact.address : contact.url })),
    reviewDate: account.reviewDate ?? '',
    ipAllowlist: (account.ipAllowlist ?? []).join('\n'),
    perMinute: account.rateLimit?.perMinute == null ? '' : String(account.rateLimit.perMinute),
    perDay: account.rateLimit?.perDay == null ? '' : String(account.rateLimit.perDay),
    rateLimitMode: account.rateLimit?.mode ?? 'enforce',
    dpopBound: account.dpopBound,
  };
}

const numberOrNull = (value: string) => (value.trim() === '' ? null : Number(value));

/** Builds the guardrail part of a POST or PATCH body. Every field is sent, so that a cleared field clears the stored value. */
export function guardrailBody(draft: GuardrailDraft) {
  const allowlist = parseLines(draft.ipAllowlist);
  const limited = draft.perMinute.trim() !== '' || draft.perDay.trim() !== '';
  return {
    purpose: draft.purpose,
    contacts: draft.contacts.map((contact) => (contact.type === 'email' ? { type: 'email' as const, address: contact.value.trim() } : { type: 'webhook' as const, url: contact.value.trim() })),
    reviewDate: draft.reviewDate || null,
    ipAllowlist: allowlist.length > 0 ? allowlist : null,
    rateLimit: limited ? { perMinute: numberOrNull(draft.perMinute), perDay: numberOrNull(draft.perDay), mode: draft.rateLimitMode } : null,
    dpopBound: draft.dpopBound,
  };
}

/** Form key of a contact row. The server names `contacts[0].address` or `contacts[0].url`, which falls under it. */
export function contactKey(index: number): string {
  return `contacts[${index}]`;
}

export function guardrailFieldKeys(draft: GuardrailDraft): string[] {
  return ['purpose', 'contacts', ...draft.contacts.map((_, index) => contactKey(index)), 'reviewDate', 'ipAllowlist', 'rateLimit', 'rateLimit.perMinute', 'rateLimit.perDay', 'rateLimit.mode', 'dpopBound'];
}

/** Checks the rules of single fields. Email and URL syntax, CIDR blocks and perDay against perMinute are left to the server. */
export function checkGuardrails(draft: GuardrailDraft): Record<string, string | undefined> {
  const errors: Record<string, string | undefined> = {
    purpose: checkMaxLength(draft.purpose, 2000),
    contacts: draft.contacts.length > MAX_CONTACTS ? `List at most ${MAX_CONTACTS} contacts; use a team address or a webhook.` : undefined,
    ipAllowlist: parseLines(draft.ipAllowlist).length > 200 ? 'List at most 200 blocks; merge them into wider blocks.' : undefined,
    'rateLimit.perMinute': checkOptionalInteger(draft.perMinute, 1, 100_000, 'requests'),
    'rateLimit.perDay': checkOptionalInteger(draft.perDay, 1, 100_000_000, 'requests'),
  };
  draft.contacts.forEach((contact, index) => {
    if (contact.value.trim() === '') errors[contactKey(index)] = contact.type === 'email' ? 'Enter an email address, or remove the contact.' : 'Enter the webhook URL, or remove the contact.';
  });
  return errors;
}
