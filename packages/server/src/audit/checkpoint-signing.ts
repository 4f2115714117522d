import { type KeyObject, createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { AuditCheckpointRow } from '../storage/tables.js';

// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410), so that node:crypto can load it.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface CheckpointPublicKey {
  key: KeyObject;
  /** RFC 7638 thumbprint, stored with each checkpoint it signs. */
  kid: string;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; alg: 'EdDSA'; use: 'sig' };
}

/** The Ed25519 key pair that signs audit checkpoints, derived from the master key so that every node holds the same one. */
export class CheckpointSigner {
  private readonly privateKey: KeyObject;
  readonly publicKey: CheckpointPublicKey;

  constructor(seed: Buffer) {
    this.privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    this.publicKey = describePublicKey(createPublicKey(this.privateKey));
  }

  sign(payload: string): string {
    return sign(null, Buffer.from(payload, 'utf8'), this.privateKey).toString('base64url');
  }
}

export function describePublicKey(key: KeyObject): CheckpointPublicKey {
  const { x } = key.export({ format: 'jwk' }) as { x: string };
  // Members in lexicographic order, as RFC 7638 requires for the thumbprint.
  const kid = createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
  return { key, kid, jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' } };
}

/**
 * The exact text a checkpoint's signature covers: JSON with a fixed member order, so that a
 * verifier outside Tessera can rebuild it from the checkpoint's fields or take it from the API.
 */
export function checkpointPayload(row: Omit<AuditCheckpointRow, 'signature'>): string {
  return JSON.stringify({
    type: 'tessera.audit.checkpoint.v1',
    id: row.id,
    firstSeq: Number(row.first_seq),
    seq: Number(row.seq),
    hash: row.hash,
    prunedCount: Number(row.pruned_count),
    createdAt: new Date(Number(row.created_at)).toISOString(),
    kid: row.key_id,
  });
}

export function checkpointSignatureValid(row: AuditCheckpointRow, publicKey: KeyObject): boolean {
  try {
    return verify(null, Buffer.from(checkpointPayload(row), 'utf8'), publicKey, Buffer.from(row.signature, 'base64url'));
  } catch {
    return false;
  }
}
