import { type Contact, type RateLimit, type RateLimitMode, parseAccountAllowlist, parseContacts, parseRateLimit } from '../accounts/guardrails.js';
import { RequestError } from '../accounts/errors.js';
import type { ServiceAccountRow } from '../storage/tables.js';
import { timestamp } from './views.js';

/** The guardrail fields of an account as a POST or PATCH body carries them. */
export interface GuardrailInput {
  purpose?: string;
  contacts?: Array<{ type: 'email' | 'webhook'; address?: string; url?: string }>;
  reviewDate?: string | null;
  ipAllowlist?: string[] | null;
  rateLimit?: { perMinute?: number | null; perDay?: number | null; mode?: RateLimitMode } | null;
  dpopBound?: boolean;
}

type GuardrailColumns = Pick<ServiceAccountRow, 'purpose' | 'contacts' | 'review_at' | 'ip_allowlist' | 'rate_limit' | 'dpop_bound'>;

function parseContactInput(input: NonNullable<GuardrailInput['contacts']>): Contact[] {
  const contacts = input.map((contact, index) => {
    const field = `contacts[${index}]`;
    if (contact.type === 'email') {
      if (contact.url !== undefined || contact.address === undefined) throw new RequestError('validation_failed', `${field}: an email contact takes "address" and no "url".`, field);
      return { type: 'email' as const, address: contact.address };
    }
    if (contact.address !== undefined || contact.url === undefined) throw new RequestError('validation_failed', `${field}: a webhook contact takes "url" and no "address".`, field);
    return { type: 'webhook' as const, url: contact.url };
  });
  return parseContacts(contacts, 'contacts');
}

function parseReviewDate(text: string | null): number | null {
  if (text === null) return null;
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) {
    throw new RequestError('validation_failed', `reviewDate "${text}" is not a calendar date; write it like 2027-06-30.`, 'reviewDate');
  }
  return ms;
}

/** Validates the guardrail fields of a body and returns the columns they change; fields left out keep `current`. */
export function applyGuardrailInput(input: GuardrailInput, current: GuardrailColumns): GuardrailColumns {
  return {
    purpose: input.purpose ?? current.purpose,
    contacts: input.contacts === undefined ? current.contacts : JSON.stringify(parseContactInput(input.contacts)),
    review_at: input.reviewDate === undefined ? current.review_at : parseReviewDate(input.reviewDate),
    ip_allowlist: input.ipAllowlist === undefined ? current.ip_allowlist : jsonOrNull(parseAccountAllowlist(input.ipAllowlist, 'ipAllowlist')),
    rate_limit: input.rateLimit === undefined ? current.rate_limit : jsonOrNull(parseRateLimit(input.rateLimit, 'rateLimit')),
    dpop_bound: input.dpopBound === undefined ? current.dpop_bound : Number(input.dpopBound),
  };
}

function jsonOrNull(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}

export const NO_GUARDRAILS: GuardrailColumns = { purpose: '', contacts: '[]', review_at: null, ip_allowlist: null, rate_limit: null, dpop_bound: 0 };

/** The guardrail fields of an account as the API returns them. */
export function guardrailView(row: ServiceAccountRow) {
  return {
    purpose: row.purpose,
    contacts: JSON.parse(row.contacts) as Contact[],
    reviewDate: row.review_at === null ? null : timestamp(row.review_at)!.slice(0, 10),
    ipAllowlist: row.ip_allowlist === null ? null : (JSON.parse(row.ip_allowlist) as string[]),
    rateLimit: row.rate_limit === null ? null : (JSON.parse(row.rate_limit) as RateLimit),
    dpopBound: Number(row.dpop_bound) === 1,
    dormantSince: timestamp(row.dormant_since),
  };
}
