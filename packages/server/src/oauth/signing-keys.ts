import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { KeyMaterial } from '../crypto/master-key.js';
import { FIRST_SIGNING_KEY_LOCK } from '../storage/advisory-locks.js';
import type { DialectName } from '../storage/database.js';
import { insertSigningKey, publishedSigningKeys, retireSigningKey } from '../storage/signing-keys.js';
import { type ChangeFeed, LocalChangeFeed } from '../storage/change-feed.js';
import type { Database, SigningKeyRow } from '../storage/tables.js';

const REFRESH_INTERVAL_MS = 60_000;
const RELOAD_COOLDOWN_MS = 5_000;
/** How long before its creation the first key counts as active. No earlier key exists to hand over from. */
const FIRST_KEY_BACKDATE_MS = 5 * 60_000;

// A retired key stays published for the maximum token lifetime, until its last token expired.
export { MAX_TOKEN_LIFETIME_SECONDS } from '@tessera/shared';
import { MAX_TOKEN_LIFETIME_SECONDS } from '@tessera/shared';

export interface PublicSigningKey {
  kid: string;
  alg: string;
  publicKey: KeyObject;
  jwk: Record<string, unknown>;
  activatesAt: number;
  retiresAt: number | null;
  unpublishesAt: number | null;
}

interface LoadedKey extends PublicSigningKey {
  privateKey: KeyObject;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * The signing keys of this deployment: the current key signs, newer keys are published in
 * the JWKS before they sign, and retired keys stay published until their tokens expire.
 */
export class KeyRing {
  private keys: LoadedKey[] = [];
  /** Encoded JOSE headers by kid and typ; a key's header never changes, and there are few keys. */
  private readonly encodedHeaders = new Map<string, string>();
  private lastReloadAt = 0;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
    private readonly keyMaterial: KeyMaterial,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly changes: ChangeFeed = new LocalChangeFeed(),
  ) {}

  /**
   * Keeps the keys in step with other nodes: reload when a node announces a rotation, and
   * every REFRESH_INTERVAL_MS in case an announcement was lost.
   */
  follow(): void {
    this.changes.subscribe((topic) => {
      if (topic === 'signing_keys') void this.reload('another node rotated the signing key');
    });
    this.refreshTimer = setInterval(() => void this.reload(), REFRESH_INTERVAL_MS);
    this.refreshTimer.unref();
  }

  stop(): void {
    clearInterval(this.refreshTimer);
  }

  private async reload(reason?: string): Promise<void> {
    try {
      this.lastReloadAt = Date.now();
      await this.load();
      if (reason) this.logger.info({ kids: this.keys.map((key) => key.kid) }, `reloaded signing keys: ${reason}`);
    } catch (error) {
      this.logger.warn({ err: error }, 'reloading signing keys failed; keeping the keys already loaded');
    }
  }

  /**
   * Finds a published key; for an unknown kid it reloads once (at most every few seconds),
   * since the token may come from a node that rotated a moment ago.
   */
  async findPublicKeyOrReload(kid: string): Promise<PublicSigningKey | undefined> {
    const known = this.findPublicKey(kid);
    if (known || Date.now() - this.lastReloadAt < RELOAD_COOLDOWN_MS) return known;

    await this.reload();
    return this.findPublicKey(kid);
  }

  /** Loads the published keys, creating the first key on an empty database. */
  async load(): Promise<void> {
    let rows = await publishedSigningKeys(this.db, this.clock.now());
    if (rows.length === 0) rows = await this.createFirstKey();
    this.keys = rows.map((row) => this.decryptRow(row));
  }

  /**
   * Creates the first key under a lock, because nodes that start together on an empty PostgreSQL
   * database would each create one and sign with a key the others do not publish. Every
   * connection runs with READ COMMITTED (storage/database.ts), so the read after the lock
   * includes the key that the first node committed.
   */
  private async createFirstKey(): Promise<SigningKeyRow[]> {
    const { rows, created } = await this.db.transaction().execute(async (trx) => {
      if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${FIRST_SIGNING_KEY_LOCK})`.execute(trx);
      const published = await publishedSigningKeys(trx, this.clock.now());
      if (published.length > 0) return { rows: published, created: false };

      // Other nodes adopt this key, and one whose clock is behind must not find it inactive.
      const row = this.createKeyRow(this.clock.now() - FIRST_KEY_BACKDATE_MS);
      await insertSigningKey(trx, row);
      return { rows: [row], created: true };
    });

    if (created) this.logger.info({ kid: rows[0].kid }, 'generated the first ES256 signing key');
    return rows;
  }

  /** Returns the key that signs now: the newest one whose activation time has passed and that is not retired. */
  currentKey(): LoadedKey {
    const now = this.clock.now();
    // A loop, because filter() would make a closure on every token request.
    let current: LoadedKey | undefined;
    for (const key of this.keys) {
      if (key.activatesAt <= now && (key.retiresAt === null || key.retiresAt > now)) current = key;
    }
    if (!current) throw new Error('No active signing key; rotate keys through the admin API or restart the server.');
    return current;
  }

  /** Keys in the JWKS now, including ones that do not sign yet and retired ones still in use. */
  publishedKeys(): PublicSigningKey[] {
    const now = this.clock.now();
    return this.keys.filter((key) => key.unpublishesAt === null || key.unpublishesAt > now);
  }

  findPublicKey(kid: string): PublicSigningKey | undefined {
    return this.publishedKeys().find((key) => key.kid === kid);
  }

  /** Signs a JWT of type `typ` with the current key through node:crypto, the cheapest correct path for ES256. */
  sign(typ: string, claims: Record<string, unknown>): string {
    const key = this.currentKey();
    const signingInput = `${this.encodedHeader(key, typ)}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${signature.toString('base64url')}`;
  }

  /** Returns the Base64url JOSE header for a key and type, encoded once, since every token of that key repeats it. */
  private encodedHeader(key: LoadedKey, typ: string): string {
    const cacheKey = `${key.kid}\u0000${typ}`;
    let encoded = this.encodedHeaders.get(cacheKey);
    if (encoded === undefined) {
      encoded = base64url(JSON.stringify({ typ, alg: key.alg, kid: key.kid }));
      this.encodedHeaders.set(cacheKey, encoded);
    }
    return encoded;
  }

  /**
   * Publishes a new key now and lets it sign after the activation delay, so that resource
   * servers that cache the JWKS learn the key before they meet a token signed with it. The
   * previous key retires when the new one activates and leaves the JWKS once its tokens expired.
   */
  async rotate(activationDelaySeconds: number): Promise<PublicSigningKey> {
    const now = this.clock.now();
    const activatesAt = now + activationDelaySeconds * 1000;
    const row = this.createKeyRow(activatesAt);

    await this.db.transaction().execute(async (trx) => {
      for (const key of this.keys.filter((k) => k.retiresAt === null || k.retiresAt > activatesAt)) {
        await retireSigningKey(trx, key.kid, activatesAt, activatesAt + MAX_TOKEN_LIFETIME_SECONDS * 1000);
      }
      await insertSigningKey(trx, row);
    });

    await this.load();
    await this.changes.publish('signing_keys').catch((error) => this.logger.warn({ err: error }, 'announcing the rotation to other nodes failed; they pick it up within a minute'));
    this.logger.info({ kid: row.kid, activatesAt: new Date(activatesAt).toISOString() }, 'rotated the signing key');
    return this.keys.find((key) => key.kid === row.kid) as PublicSigningKey;
  }

  private createKeyRow(activatesAt: number): SigningKeyRow {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const kid = `${new Date(this.clock.now()).toISOString().slice(0, 10)}-${base64url(Buffer.from(crypto.getRandomValues(new Uint8Array(6))))}`;
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });

    return {
      kid,
      alg: 'ES256',
      public_jwk: JSON.stringify(jwk),
      private_key: this.keyMaterial.encrypt(pkcs8),
      created_at: this.clock.now(),
      activates_at: activatesAt,
      retires_at: null,
      unpublishes_at: null,
    };
  }

  private decryptRow(row: SigningKeyRow): LoadedKey {
    const privateKey = createPrivateKey({ key: this.keyMaterial.decrypt(row.private_key), format: 'der', type: 'pkcs8' });
    const jwk = JSON.parse(row.public_jwk) as Record<string, unknown>;
    return {
      kid: row.kid,
      alg: row.alg,
      privateKey,
      publicKey: createPublicKey(privateKey),
      jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: row.kid, alg: row.alg, use: 'sig' },
      activatesAt: Number(row.activates_at),
      retiresAt: row.retires_at === null ? null : Number(row.retires_at),
      unpublishesAt: row.unpublishes_at === null ? null : Number(row.unpublishes_at),
    };
  }
}
