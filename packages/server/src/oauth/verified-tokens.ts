import { LRUCache } from 'lru-cache';
import type { AccessTokenClaims } from './verify-token.js';

/** Tokens whose signature check is remembered; the least recently used one goes first. */
export const DEFAULT_VERIFIED_TOKENS = 10_000;

interface VerifiedToken {
  /** The key that signed the token, or null for an opaque token, whose claims were looked up instead. */
  kid: string | null;
  claims: AccessTokenClaims;
}

/**
 * Remembers access tokens whose ES256 signature this server verified, and opaque tokens whose
 * claims it looked up, so that introspecting or presenting the same token again costs no
 * second verification or lookup. A signature stays valid for as long as its key is published,
 * so a caller checks that the key is still published and that the token has not expired
 * before using an entry. Revocation is checked apart from this cache.
 */
export class VerifiedTokenCache {
  private readonly tokens: LRUCache<string, VerifiedToken>;

  constructor(maxEntries = DEFAULT_VERIFIED_TOKENS) {
    this.tokens = new LRUCache({ max: maxEntries });
  }

  get(token: string): VerifiedToken | undefined {
    return this.tokens.get(token);
  }

  remember(token: string, kid: string | null, claims: AccessTokenClaims): void {
    this.tokens.set(token, { kid, claims: Object.freeze(claims) });
  }

  get size(): number {
    return this.tokens.size;
  }
}
