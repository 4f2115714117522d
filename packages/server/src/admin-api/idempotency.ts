import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { RequestError } from '../accounts/errors.js';
import type { ServerContext } from '../context.js';
import { newId } from '../crypto/secrets.js';
import {
  claimIdempotencyKey,
  deleteExpiredIdempotencyKey,
  findIdempotencyKey,
  releaseIdempotencyKey,
  storeIdempotentResponse,
  takeOverIdempotencyKey,
} from '../storage/idempotency-keys.js';
import type { Database } from '../storage/tables.js';

/**
 * Idempotency keys on the creating POST routes, as the IETF draft "The Idempotency-Key HTTP
 * Header Field" (draft-ietf-httpapi-idempotency-key-header) describes them: a retry with the
 * same key and body gets the first response again instead of creating a second object.
 */

export const IDEMPOTENCY_KEY_LIFETIME_MS = 24 * 60 * 60 * 1000;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * After this long without a stored response, the request holding a key is taken to have died
 * with its node, and a retry may take the key over. The takeover is safe even if that request
 * is only slow. Its response is stored in the same transaction as its change, and only while
 * the key is still its own, so otherwise the whole change rolls back.
 */
const IN_FLIGHT_TAKEOVER_MS = 60_000;

/** Header schema of the routes that take a key, so that the OpenAPI document lists it. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ description: 'Unique key of this request, 1 to 255 printable ASCII characters, plain or as a structured-field string ("..."). A retry with the same key and body returns the stored response with Idempotency-Replayed: true for 24 hours.' })),
});

interface IdempotencyClaim {
  owner: string;
  key: string;
  lockId: string;
  stored: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: IdempotencyClaim;
  }
}

function invalidKey(detail: string): RequestError {
  return new RequestError('idempotency_key_invalid', `The Idempotency-Key header ${detail}; send one key of 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters, such as a UUID.`);
}

/**
 * Reads the key from the header. The draft defines it as a structured-field string
 * (RFC 8941, in double quotes); a bare token is accepted too, because many clients send one.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) throw invalidKey('appears more than once');

  const raw = header.trim();
  let key: string;
  if (raw.startsWith('"')) {
    const match = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/.exec(raw);
    if (!match) throw invalidKey('is not a valid structured-field string');
    key = match[1].replace(/\\(["\\])/g, '$1');
  } else {
    if (!/^[\x21-\x7e]*$/.test(raw)) throw invalidKey('contains spaces, commas between several keys, or characters outside printable ASCII');
    key = raw;
  }

  if (key.length === 0) throw invalidKey('is empty');
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) throw invalidKey(`is ${key.length} characters long`);
  return key;
}

/** Returns whom a key belongs to; two callers may use the same key without meeting. */
/** Names the caller that owns a key: an admin, or a service account calling with a token. */
function ownerOf(request: FastifyRequest): string {
  const admin = request.admin!;
  return admin.serviceAccount ? `service_account:${admin.id}` : `admin:${admin.id}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Computes the request fingerprint: method, path and the SHA-256 of the body. The body is
 * hashed in a canonical JSON form (sorted keys, no whitespace), so that a client that
 * re-serialises the same object for its retry still matches.
 */
function fingerprintOf(request: FastifyRequest): string {
  const bodyHash = createHash('sha256').update(canonicalJson(request.body)).digest('hex');
  return createHash('sha256').update(`${request.method}\n${request.url}\n${bodyHash}`).digest('hex');
}

/**
 * Starts an idempotent request. Call it after the route's permission checks, so that a replay
 * never shows a response to a caller who may no longer see it. Returns true when it sent the
 * stored response of an earlier request with the same key; the route must then stop.
 */
export async function replayOrClaim(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  const key = parseIdempotencyKey(request.headers['idempotency-key']);
  if (key === undefined) return false;

  const owner = ownerOf(request);
  const fingerprint = fingerprintOf(request);

  // Two rounds at most: one to clear an expired entry that the hourly pruning has not removed yet.
  for (let round = 0; round < 2; round += 1) {
    const now = ctx.clock.now();
    const lockId = newId();
    const row = { owner, idempotency_key: key, fingerprint, lock_id: lockId, locked_at: now, response_status: null, response_body: null, created_at: now, expires_at: now + IDEMPOTENCY_KEY_LIFETIME_MS };
    if (await claimIdempotencyKey(ctx.db, row)) {
      request.idempotency = { owner, key, lockId, stored: false };
      return false;
    }

    const existing = await findIdempotencyKey(ctx.db, owner, key);
    if (!existing) continue;
    if (Number(existing.expires_at) <= now) {
      await deleteExpiredIdempotencyKey(ctx.db, owner, key, now);
      continue;
    }

    if (existing.fingerprint !== fingerprint) {
      throw new RequestError('idempotency_key_reused', 'This Idempotency-Key was used for a request with another method, path or body; use a new key for a different request.');
    }

    if (existing.response_status === null) {
      const stale = now - Number(existing.locked_at ?? existing.created_at) >= IN_FLIGHT_TAKEOVER_MS;
      if (stale && existing.lock_id && (await takeOverIdempotencyKey(ctx.db, owner, key, existing.lock_id, lockId, now))) {
        request.log.warn({ owner }, 'took over an idempotency key whose first request stopped responding');
        request.idempotency = { owner, key, lockId, stored: false };
        return false;
      }
      throw new RequestError('idempotency_key_in_use', 'A request with this Idempotency-Key is still in progress; retry after it finishes to get its response.');
    }

    const body = decryptResponse(ctx, existing.response_body!, owner, key);
    reply.code(Number(existing.response_status)).header('idempotency-replayed', 'true').header('content-type', 'application/json; charset=utf-8').send(body);
    return true;
  }
  throw new RequestError('idempotency_key_in_use', 'Another request claimed this Idempotency-Key at the same moment; retry to get its response.');
}

/*
 * The stored response is encrypted (AES-256-GCM under a key derived from the master key)
 * rather than stored without its secret. A client whose connection broke after the server
 * created an account or credential retries with the same key precisely to learn that secret;
 * replaying without it would leave a credential that no client can use. The owner and key are
 * encrypted along with the body and checked on the way out, so that a row copied to another
 * key does not decrypt into a replay there. The row is deleted after 24 hours.
 */
function encryptResponse(ctx: ServerContext, body: string, owner: string, key: string): string {
  return ctx.keyMaterial.encrypt(Buffer.from(JSON.stringify({ owner, key, body })));
}

function decryptResponse(ctx: ServerContext, encrypted: string, owner: string, key: string): string {
  const sealed = JSON.parse(ctx.keyMaterial.decrypt(encrypted).toString('utf8')) as { owner: string; key: string; body: string };
  if (sealed.owner !== owner || sealed.key !== key) throw new Error('a stored idempotent response belongs to another key');
  return sealed.body;
}

/**
 * Stores the response of a claimed request in the transaction that makes its change, so that
 * the change and the response commit together or not at all.
 */
export async function storeResponse(ctx: ServerContext, trx: Kysely<Database>, request: FastifyRequest, status: number, body: unknown): Promise<void> {
  const claim = request.idempotency;
  if (!claim) return;

  const stored = await storeIdempotentResponse(trx, claim.owner, claim.key, claim.lockId, status, encryptResponse(ctx, JSON.stringify(body), claim.owner, claim.key));
  if (!stored) {
    throw new RequestError('idempotency_key_in_use', 'Another request took over this Idempotency-Key while this one was running, so this one made no change; retry to get its response.');
  }
  claim.stored = true;
}

/** onSend hook that frees the key of a request that ended without a stored response, such as one rejected with a 4xx. */
export function releaseUnstoredKeys(ctx: ServerContext) {
  return async (request: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
    const claim = request.idempotency;
    if (!claim || claim.stored) return payload;

    try {
      await releaseIdempotencyKey(ctx.db, claim.owner, claim.key, claim.lockId);
    } catch (error) {
      // The key stays claimed until a retry takes it over after IN_FLIGHT_TAKEOVER_MS.
      request.log.warn({ err: error, owner: claim.owner }, 'freeing an idempotency key after a failed request failed');
    }
    return payload;
  };
}
