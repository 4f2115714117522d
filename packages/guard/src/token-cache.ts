import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Principal } from './principal.js';

/**
 * Verified tokens by SHA-256 of the token, so a repeated token skips the signature check.
 * The least recently used entry leaves first when the cache is full, and an entry is never
 * returned at or after its token's exp. Revocation is checked on every use, outside this cache.
 */
export class TokenCache {
  // lru-cache's own TTL reads performance.now(), so expiry is checked here against the injected clock.
  private readonly entries: LRUCache<string, Principal> | undefined;

  constructor(
    maxEntries: number,
    private readonly now: () => number,
  ) {
    this.entries = maxEntries > 0 ? new LRUCache({ max: maxEntries }) : undefined;
  }

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  get(key: string): Principal | undefined {
    const principal = this.entries?.get(key);
    if (!principal) return undefined;

    if (principal.expiresAt <= this.now()) {
      this.entries!.delete(key);
      return undefined;
    }
    return principal;
  }

  set(key: string, principal: Principal): void {
    if (principal.expiresAt <= this.now()) return;
    this.entries?.set(key, principal);
  }

  clear(): void {
    this.entries?.clear();
  }
}
