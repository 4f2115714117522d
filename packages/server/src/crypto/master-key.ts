import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const KEY_BYTES = 32;
export const MASTER_KEY_FILE = 'master.key';

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

export interface LoadedMasterKey {
  key: Buffer;
  /** Where the key came from, for the start-up log. */
  source: 'environment' | 'existing-file' | 'new-file';
  path?: string;
}

function decodeKey(text: string, origin: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new MasterKeyError(
      `${origin} must hold 32 random bytes as 64 hex characters or base64; got ${key.length} bytes. ` +
        'Generate one with: openssl rand -base64 32',
    );
  }
  return key;
}

/**
 * Loads the master key from TESSERA_MASTER_KEY, or from the key file in the data folder,
 * creating that file with owner-only permissions on first start.
 */
export function loadMasterKey(configured: string | undefined, dataDirectory: string, createIfMissing = true): LoadedMasterKey {
  if (configured) return { key: decodeKey(configured, 'TESSERA_MASTER_KEY'), source: 'environment' };

  const path = join(dataDirectory, MASTER_KEY_FILE);
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) {
      throw new MasterKeyError(`The master key file ${path} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${path}`);
    }
    return { key: decodeKey(readFileSync(path, 'utf8'), `The master key file ${path}`), source: 'existing-file', path };
  }

  if (!createIfMissing) {
    throw new MasterKeyError(`No master key: TESSERA_MASTER_KEY is not set and ${path} does not exist. Use the key the server runs with.`);
  }

  const key = randomBytes(KEY_BYTES);
  mkdirSync(dataDirectory, { recursive: true, mode: 0o700 });
  writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, source: 'new-file', path };
}

/** Keys derived from the master key, one per purpose, so that no key serves two uses. */
export class KeyMaterial {
  readonly secretHashKey: Buffer;
  readonly auditChainKey: Buffer;
  /** Default key for signing webhook deliveries, unless TESSERA_WEBHOOK_SIGNING_SECRET sets one. */
  readonly webhookSigningKey: Buffer;
  /** Seed of the Ed25519 key that signs audit checkpoints. */
  readonly auditCheckpointSeed: Buffer;
  /** Key that encrypts the short-lived cookie holding the state, nonce and PKCE verifier of an OIDC sign-in. */
  readonly signInStateKey: Buffer;
  private readonly encryptionKey: Buffer;

  constructor(masterKey: Buffer) {
    this.secretHashKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tessera client secret hash v1', 32));
    this.auditChainKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tessera audit chain v1', 32));
    this.webhookSigningKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tessera webhook signing v1', 32));
    this.auditCheckpointSeed = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tessera audit checkpoint signing v1', 32));
    this.signInStateKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tessera oidc sign-in state v1', 32));
    this.encryptionKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tessera data encryption v1', 32));
  }

  /** Encrypts with AES-256-GCM; the result is iv, tag and ciphertext in base64url. */
  encrypt(plaintext: Buffer): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
  }

  decrypt(encoded: string): Buffer {
    const data = Buffer.from(encoded, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, data.subarray(0, 12));
    decipher.setAuthTag(data.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]);
    } catch (error) {
      throw new MasterKeyError(
        'Cannot decrypt data stored in the database: the master key differs from the one used to encrypt it. ' +
          'Start with the original TESSERA_MASTER_KEY or master.key file.',
        { cause: error },
      );
    }
  }

  /** Keyed hash of a client secret, base64url. */
  hashSecret(secret: string): string {
    return createHmac('sha256', this.secretHashKey).update(secret).digest('base64url');
  }
}
