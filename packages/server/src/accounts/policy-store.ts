import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { findPolicyRow } from '../storage/policies.js';
import type { Database } from '../storage/tables.js';
import { type Policy, defaultPolicy, withDefaults } from './policy.js';

/** How long a node trusts its copy of the policy before reading it again. */
export const POLICY_CACHE_MS = 5_000;

/**
 * Reads the organisation's policy with a short cache, because the token endpoint needs it on
 * every request. A change made on this node is seen at once; one made on another node within
 * POLICY_CACHE_MS.
 */
export class PolicyStore {
  private cached: { policy: Policy; readAt: number } | undefined;
  /** Lookups answered from the cache and from the database, read by the metrics. */
  readonly cacheStats = { hits: 0, misses: 0 };

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly accessTokenLifetimeSeconds: number,
  ) {}

  defaults(): Policy {
    return defaultPolicy(this.accessTokenLifetimeSeconds);
  }

  /**
   * Returns the policy. Inside a transaction pass its handle as `db`: on SQLite the transaction
   * holds the only connection, so a read through the pool would wait for it forever.
   */
  async current(db: Kysely<Database> = this.db): Promise<Policy> {
    const now = this.clock.now();
    if (this.cached && now - this.cached.readAt < POLICY_CACHE_MS) {
      this.cacheStats.hits += 1;
      return this.cached.policy;
    }

    this.cacheStats.misses += 1;
    const row = await findPolicyRow(db);
    const policy = row ? withDefaults(JSON.parse(row.document), this.defaults()) : this.defaults();
    this.cached = { policy, readAt: now };
    return policy;
  }

  /** Drops the cached copy after this node changed the policy. */
  invalidate(): void {
    this.cached = undefined;
  }
}
