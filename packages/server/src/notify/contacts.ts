/**
 * The contacts stored on an account (service_accounts.contacts), read defensively: the account
 * API validates them on the way in, but the sender must never fail on a row it cannot read.
 */

export type Contact = { type: 'email'; address: string } | { type: 'webhook'; url: string };

export interface ContactTarget {
  channel: 'email' | 'webhook';
  target: string;
}

/** Returns the usable contacts of an account, one per target, skipping entries of unknown shape. */
export function parseContacts(json: string | null | undefined): ContactTarget[] {
  let entries: unknown;
  try {
    entries = JSON.parse(json ?? '[]');
  } catch {
    return [];
  }
  if (!Array.isArray(entries)) return [];

  const targets = new Map<string, ContactTarget>();
  for (const entry of entries as Partial<Record<string, unknown>>[]) {
    if (entry?.type === 'email' && typeof entry.address === 'string' && entry.address.length > 0) {
      targets.set(`email:${entry.address.toLowerCase()}`, { channel: 'email', target: entry.address });
    } else if (entry?.type === 'webhook' && typeof entry.url === 'string' && entry.url.length > 0) {
      targets.set(`webhook:${entry.url}`, { channel: 'webhook', target: entry.url });
    }
  }
  return [...targets.values()];
}
