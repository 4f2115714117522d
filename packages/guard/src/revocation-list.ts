import type { Principal } from './principal.js';
import { MAX_TOKEN_LIFETIME_SECONDS } from './verify.js';

/** One entry of the revocation feed, after its shape was checked. */
export type RevocationEntry =
  | { kind: 'credential'; accountId: string; credentialId: string; effectiveAt: number }
  | { kind: 'account'; accountId: string; generation: number }
  | { kind: 'account_deleted'; accountId: string }
  | { kind: 'token'; tokenId: string; expiresAt: number };

const MAX_TOKEN_LIFETIME_MS = MAX_TOKEN_LIFETIME_SECONDS * 1000;

/**
 * The revocations that guard has received, checked against every token it accepts. Entries
 * are dropped once no token they could match can still be valid: a day after they take
 * effect or arrive, since no token lives longer, and a revoked token once it expires.
 */
export class RevocationList {
  /** Credential id to the time its tokens stop being valid, in epoch milliseconds. */
  private readonly credentials = new Map<string, { effectiveAt: number; forgetAt: number }>();
  /** Account id to the lowest token generation that is still valid. */
  private readonly accounts = new Map<string, { generation: number; forgetAt: number }>();
  private readonly deletedAccounts = new Map<string, number>();
  /** Token id to the time it can be forgotten. */
  private readonly tokens = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly clockToleranceMs: number,
  ) {}

  get size(): number {
    return this.credentials.size + this.accounts.size + this.deletedAccounts.size + this.tokens.size;
  }

  apply(entry: RevocationEntry): void {
    const keepFor = MAX_TOKEN_LIFETIME_MS + this.clockToleranceMs;
    const now = this.now();

    switch (entry.kind) {
      case 'credential': {
        // A rotation announces a later effectiveAt than a revocation of the same credential; the earlier one wins.
        const previous = this.credentials.get(entry.credentialId);
        const effectiveAt = previous ? Math.min(previous.effectiveAt, entry.effectiveAt) : entry.effectiveAt;
        this.credentials.set(entry.credentialId, { effectiveAt, forgetAt: Math.max(effectiveAt, now) + keepFor });
        break;
      }
      case 'account': {
        const previous = this.accounts.get(entry.accountId);
        const generation = previous ? Math.max(previous.generation, entry.generation) : entry.generation;
        this.accounts.set(entry.accountId, { generation, forgetAt: now + keepFor });
        break;
      }
      case 'account_deleted':
        this.deletedAccounts.set(entry.accountId, now + keepFor);
        break;
      case 'token':
        this.tokens.set(entry.tokenId, entry.expiresAt + this.clockToleranceMs);
        break;
    }
  }

  /** Decides whether a verified token is revoked by any entry received so far. */
  isRevoked(principal: Principal): boolean {
    if (this.deletedAccounts.has(principal.accountId)) return true;
    if (this.tokens.has(principal.tokenId)) return true;

    const account = this.accounts.get(principal.accountId);
    if (account && principal.generation < account.generation) return true;

    const credential = this.credentials.get(principal.credentialId);
    return credential !== undefined && this.now() >= credential.effectiveAt;
  }

  /** Drops entries that can no longer match an unexpired token. */
  prune(): void {
    const now = this.now();
    for (const [id, entry] of this.credentials) if (entry.forgetAt <= now) this.credentials.delete(id);
    for (const [id, entry] of this.accounts) if (entry.forgetAt <= now) this.accounts.delete(id);
    for (const [id, forgetAt] of this.deletedAccounts) if (forgetAt <= now) this.deletedAccounts.delete(id);
    for (const [id, forgetAt] of this.tokens) if (forgetAt <= now) this.tokens.delete(id);
  }
}
