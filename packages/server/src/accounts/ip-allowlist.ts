import { BlockList, isIP } from 'node:net';
import { RequestError } from './errors.js';

/** Most CIDR blocks one allowlist may hold; more is better served by a network firewall. */
export const MAX_ALLOWLIST_ENTRIES = 200;

/**
 * Parses an IPv4 or IPv6 CIDR block such as `10.0.0.0/8` or `2001:db8::/32`; a bare address
 * means that one address. Returns the normalised text, or throws a RequestError naming `field`.
 */
export function parseCidr(text: string, field: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6'; text: string } {
  const [address, prefixText, extra] = text.trim().split('/');
  const version = isIP(address ?? '');
  if (extra !== undefined || version === 0) {
    throw new RequestError('validation_failed', `${field} "${text.slice(0, 100)}" is not an IPv4 or IPv6 CIDR block; write it like 203.0.113.0/24 or 2001:db8::/48.`, field);
  }

  const maxPrefix = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(maxPrefix)) || prefix > maxPrefix) {
    throw new RequestError('validation_failed', `${field} "${text.slice(0, 100)}" has an invalid prefix length; use 0 to ${maxPrefix} for an IPv${version} block.`, field);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6', text: `${address}/${prefix}` };
}

/** Validates an allowlist from a request and returns its normalised, de-duplicated entries. */
export function parseAllowlist(entries: string[], field: string): string[] {
  if (entries.length > MAX_ALLOWLIST_ENTRIES) {
    throw new RequestError('validation_failed', `${field} lists ${entries.length} blocks; the maximum is ${MAX_ALLOWLIST_ENTRIES}, so merge them into wider blocks.`, field);
  }
  return [...new Set(entries.map((entry, index) => parseCidr(entry, `${field}[${index}]`).text))];
}

const compiled = new Map<string, BlockList>();

/**
 * Tells whether an address falls inside one of the stored blocks. IPv4-mapped IPv6 addresses
 * (::ffff:203.0.113.7, as a dual-stack socket reports IPv4 clients) are checked as IPv4.
 */
export function allowlistContains(entries: string[], ip: string): boolean {
  const key = entries.join(',');
  let list = compiled.get(key);
  if (!list) {
    list = new BlockList();
    for (const entry of entries) {
      const [address, prefix] = entry.split('/');
      list.addSubnet(address, Number(prefix), isIP(address) === 4 ? 'ipv4' : 'ipv6');
    }
    // Allowlists are few and small; the cap only stops unbounded growth after many edits.
    if (compiled.size > 1000) compiled.clear();
    compiled.set(key, list);
  }

  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1] : ip;
  const version = isIP(address);
  if (version === 0) return false;
  return list.check(address, version === 4 ? 'ipv4' : 'ipv6');
}
