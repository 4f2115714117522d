import { RequestError } from './errors.js';
import { parseAllowlist } from './ip-allowlist.js';

/** A person or team notified about an account's expiring credentials and dormancy. */
export type Contact = { type: 'email'; address: string } | { type: 'webhook'; url: string };

export type RateLimitMode = 'enforce' | 'log_only';

/** Token requests an account may make; `log_only` records an excess in the audit log but still issues the token. */
export interface RateLimit {
  perMinute: number | null;
  perDay: number | null;
  mode: RateLimitMode;
}

export const MAX_CONTACTS = 20;

// Deliberately loose: one @, no spaces, a dot in the domain. The SMTP server has the final word.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;

/** Validates contacts from a request; returns them normalised, in the order given. */
export function parseContacts(contacts: Contact[], field: string): Contact[] {
  if (contacts.length > MAX_CONTACTS) {
    throw new RequestError('validation_failed', `${field} lists ${contacts.length} contacts; the maximum is ${MAX_CONTACTS}, so use a team address or a webhook.`, field);
  }

  const seen = new Set<string>();
  return contacts.map((contact, index) => {
    const entry = `${field}[${index}]`;
    let normalised: Contact;
    if (contact.type === 'email') {
      if (!EMAIL.test(contact.address)) throw new RequestError('validation_failed', `${entry}.address "${contact.address.slice(0, 100)}" is not an email address; write it like team@example.com.`, `${entry}.address`);
      normalised = { type: 'email', address: contact.address };
    } else {
      normalised = { type: 'webhook', url: parseWebhookUrl(contact.url, `${entry}.url`) };
    }

    const key = normalised.type === 'email' ? `email:${normalised.address.toLowerCase()}` : `webhook:${normalised.url}`;
    if (seen.has(key)) throw new RequestError('validation_failed', `${entry} repeats an earlier contact; list each contact once.`, entry);
    seen.add(key);
    return normalised;
  });
}

function parseWebhookUrl(text: string, field: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RequestError('validation_failed', `${field} "${text.slice(0, 100)}" is not an absolute URL; write it like https://hooks.example.com/tessera.`, field);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RequestError('validation_failed', `${field} must use https (or http on a trusted network); got ${url.protocol.replace(':', '')}.`, field);
  }
  if (url.username || url.password) {
    throw new RequestError('validation_failed', `${field} must not contain a user name or password; webhooks are authenticated by their HMAC signature.`, field);
  }
  url.hash = '';
  return url.href;
}

/** Validates a rate limit from a request; null removes the limit. */
export function parseRateLimit(input: { perMinute?: number | null; perDay?: number | null; mode?: RateLimitMode } | null, field: string): RateLimit | null {
  if (input === null) return null;

  const limit: RateLimit = { perMinute: input.perMinute ?? null, perDay: input.perDay ?? null, mode: input.mode ?? 'enforce' };
  if (limit.perMinute === null && limit.perDay === null) {
    throw new RequestError('validation_failed', `${field} sets neither perMinute nor perDay; set one of them, or send null to remove the limit.`, field);
  }
  if (limit.perMinute !== null && limit.perDay !== null && limit.perDay < limit.perMinute) {
    throw new RequestError('validation_failed', `${field}.perDay (${limit.perDay}) is lower than ${field}.perMinute (${limit.perMinute}); raise perDay or lower perMinute.`, `${field}.perDay`);
  }
  return limit;
}

/** Validates an account's own IP allowlist; null means the policy's default applies. */
export function parseAccountAllowlist(entries: string[] | null, field: string): string[] | null {
  if (entries === null) return null;
  if (entries.length === 0) {
    throw new RequestError('validation_failed', `${field} is empty, which would block every address; list at least one CIDR block, or send null to use the policy's default.`, field);
  }
  return parseAllowlist(entries, field);
}
