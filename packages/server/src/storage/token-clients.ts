import type { ResourceRestrictions } from '@tessera/shared';
import type { Kysely } from 'kysely';
import type { Grant } from '../accounts/access.js';
import { LRUCache } from 'lru-cache';
import { TOKEN_CLIENTS_GENERATION } from './cache-generations.js';
import { findAccount, findAccountByClientId, grantsOf } from './accounts.js';
import { credentialsOf } from './credentials.js';
import { findInstances } from './instances.js';
import type { CredentialRow, Database, GrantRow, InstanceRow, ServiceAccountRow } from './tables.js';

/** Everything a token request reads about one client. */
export interface TokenClientRows {
  account: ServiceAccountRow;
  /** All credentials of the account, secrets and keys, revoked and expired ones included. */
  credentials: CredentialRow[];
  grants: GrantRow[];
  /** The instances that the grants name. */
  instances: InstanceRow[];
}

export interface TokenClientCacheStats {
  hits: number;
  misses: number;
  /** Times the whole cache was dropped because the rows changed. */
  invalidations: number;
}

/** Accounts kept in memory by default; the least recently used one goes first. */
export const DEFAULT_TOKEN_CLIENT_ENTRIES = 10_000;

/**
 * Keeps the rows that token requests read (account, credentials, grants and their instances)
 * in memory. Each use first reads the database's token clients counter, which triggers raise on
 * every change to those tables, and drops everything when it moved. So a revocation or a
 * disabled account takes effect on the next request on every node, as without the cache.
 *
 * Entries are tagged with a counter value read through the query builder before their rows,
 * never with the fast read. On SQLite the fast read shares the connection with open
 * transactions, so it may see a counter that a rollback then takes back.
 */
export class TokenClientCache {
  private generation: number | null = null;
  /** Entries by client id. */
  private readonly clients: LRUCache<string, TokenClientRows>;
  /** Client ids by account id, for lookups by a token's subject; an entry leaves with its client's. */
  private readonly clientIds = new Map<string, string>();
  readonly stats: TokenClientCacheStats = { hits: 0, misses: 0, invalidations: 0 };

  constructor(
    private readonly db: Kysely<Database>,
    readonly readGeneration: () => Promise<number>,
    maxEntries = DEFAULT_TOKEN_CLIENT_ENTRIES,
  ) {
    this.clients = new LRUCache({ max: maxEntries, dispose: (rows) => this.clientIds.delete(rows.account.id) });
  }

  /** Accounts whose rows are in memory. */
  get size(): number {
    return this.clients.size;
  }

  /** Returns the rows of the client with this client id, or undefined when no account has it. */
  async client(clientId: string): Promise<TokenClientRows | undefined> {
    await this.validate();
    const cached = this.clients.get(clientId);
    if (cached) return this.hit(cached);

    return this.load(() => findAccountByClientId(this.db, clientId));
  }

  /**
   * Returns the rows of the account with this id, as an access token's subject names it, or
   * undefined when none has it. `counterRead` is true when the same request read the counter
   * through client() a moment ago, as introspection does for its caller, so it is not read twice.
   */
  async account(accountId: string, counterRead = false): Promise<TokenClientRows | undefined> {
    if (!counterRead) await this.validate();
    const clientId = this.clientIds.get(accountId);
    // get() also marks the entry as recently used.
    const cached = clientId === undefined ? undefined : this.clients.get(clientId);
    if (cached) return this.hit(cached);

    return this.load(() => findAccount(this.db, accountId));
  }

  private hit(rows: TokenClientRows): TokenClientRows {
    this.stats.hits += 1;
    return rows;
  }

  private async load(findAccountRow: () => Promise<ServiceAccountRow | undefined>): Promise<TokenClientRows | undefined> {
    this.stats.misses += 1;
    const generation = await this.tagForLoad();
    const account = await findAccountRow();
    // Unknown ids are not kept, so that random ids cannot fill the memory.
    if (!account) return undefined;

    const credentials = await credentialsOf(this.db, account.id);
    const grants = await grantsOf(this.db, [account.id]);
    const instanceIds = grants.map((grant) => grant.instance_id);
    const instances = await findInstances(this.db, instanceIds);

    // Frozen, because every request for this client shares these objects.
    const rows = deepFreeze({ account, credentials, grants, instances });
    if (this.generation === generation) this.remember(rows);
    return rows;
  }

  private remember(rows: TokenClientRows): void {
    // Set first: replacing an entry disposes of the old one, which removes its client id mapping.
    this.clients.set(rows.account.client_id, rows);
    this.clientIds.set(rows.account.id, rows.account.client_id);
  }

  /** Drops every entry when the counter moved since the entries were read. */
  private async validate(): Promise<void> {
    const current = await this.readGeneration();
    if (current !== this.generation) this.clear();
  }

  /** Reads the counter in order with other queries, and starts a new set of entries when it moved. */
  private async tagForLoad(): Promise<number> {
    const row = await this.db.selectFrom('cache_generations').select('generation').where('name', '=', TOKEN_CLIENTS_GENERATION).executeTakeFirstOrThrow();
    const generation = Number(row.generation);
    if (generation !== this.generation) {
      this.clear();
      this.generation = generation;
    }
    return generation;
  }

  private clear(): void {
    if (this.clients.size > 0) this.stats.invalidations += 1;
    this.clients.clear();
    this.clientIds.clear();
    this.generation = null;
  }
}

const parsedGrants = new WeakMap<GrantRow, Pick<Grant, 'scopes' | 'resources'>>();

/**
 * Parses a grant row's scopes and resources once per row object. The result is frozen,
 * because every request for a cached client shares its rows and so this result too.
 */
export function parsedGrant(row: GrantRow): Pick<Grant, 'scopes' | 'resources'> {
  let parsed = parsedGrants.get(row);
  if (parsed === undefined) {
    parsed = deepFreeze({ scopes: JSON.parse(row.scopes) as string[], resources: JSON.parse(row.resources) as ResourceRestrictions });
    parsedGrants.set(row, parsed);
  }
  return parsed;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
