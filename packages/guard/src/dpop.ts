import { DPOP_PROOF_MAX_AGE_SECONDS, DpopProofError, proofReplayKey, verifyDpopProof } from '@tessera/shared';
import { LRUCache } from 'lru-cache';
import { GuardError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import type { Principal } from './principal.js';

/** Request method, URL and DPoP headers, which an adapter passes so that guard can check a DPoP proof (RFC 9449 §4.3). */
export interface RequestDetails {
  /** The HTTP method, such as `GET`. */
  method: string;
  /** The full URL of the request as the server saw it, including scheme and host. */
  url: string;
  /** The value of the DPoP header, or one value per header line when the request has several. */
  dpop?: string | string[] | null;
}

/** Milliseconds a proof is remembered: its iat may be the window ahead of the clock and stays valid until the window behind. */
const REPLAY_MEMORY_MS = 2 * DPOP_PROOF_MAX_AGE_SECONDS * 1000;

function invalidProof(description: string, cause?: unknown): GuardError {
  return new GuardError('invalid_dpop_proof', { description, cause });
}

/** Splits DPoP header values into proofs; a JWT contains no comma, so a comma separates two proofs joined on one line. */
function proofsOf(dpop: RequestDetails['dpop']): string[] {
  let values: string[] = [];
  if (Array.isArray(dpop)) values = dpop;
  else if (typeof dpop === 'string') values = [dpop];
  return values.flatMap((value) => value.split(',')).map((proof) => proof.trim());
}

/**
 * Checks the DPoP proof of every request that presents a DPoP-bound token: the proof must be
 * valid for this request and this token, signed by the key the token names in `cnf.jkt`, and
 * not seen before.
 */
export class DpopChecker {
  // NOTE: seen proofs live in this process only, so a proof replayed to another process or
  // node of the same product within two minutes passes, and past dpopReplayCacheSize proofs
  // in two minutes the oldest are forgotten early. The token endpoint's store is shared.
  private readonly seen: LRUCache<string, number>;

  constructor(private readonly options: ResolvedOptions) {
    this.seen = new LRUCache({ max: options.dpopReplayCacheSize });
  }

  /** Returns undefined when the proof is valid, else the rejection with a DPoP challenge. */
  async check(token: string, principal: Principal, request: RequestDetails | undefined): Promise<GuardError | undefined> {
    if (!request) return invalidProof('The request method and URL were not passed to guard, so the DPoP proof cannot be checked; pass them to authenticate.');

    const proofs = proofsOf(request.dpop);
    if (proofs.length !== 1) return invalidProof(proofs.length === 0 ? 'The request has no DPoP header; send a DPoP proof with the DPoP-bound token.' : `The request has ${proofs.length} DPoP proofs; send exactly one.`);

    const url = this.publicUrlOf(request);
    if (url instanceof GuardError) return url;

    const now = this.options.now();
    let proof;
    try {
      proof = await verifyDpopProof(proofs[0], { method: request.method, url, now, accessToken: token });
    } catch (error) {
      if (error instanceof DpopProofError) return invalidProof(error.description, error);
      throw error;
    }

    if (proof.jkt !== principal.dpopKeyThumbprint) return invalidProof('The DPoP proof is signed by another key than the one the access token is bound to.');

    const key = proofReplayKey(proof);
    const rememberedUntil = this.seen.get(key);
    if (rememberedUntil !== undefined && rememberedUntil > now) return invalidProof('This DPoP proof was used before; create a new proof with a fresh jti for every request.');
    this.seen.set(key, now + REPLAY_MEMORY_MS);
    return undefined;
  }

  private publicUrlOf(request: RequestDetails): string | GuardError {
    const { publicUrl, logger } = this.options;
    if (!publicUrl) {
      logger.warn({ audience: this.options.audience }, 'a DPoP request was rejected because the audience is no URL; set the guard option publicUrl');
      return invalidProof('The server cannot check DPoP proofs because its public URL is not configured.');
    }

    try {
      return publicUrl({ method: request.method, url: new URL(request.url) });
    } catch (error) {
      return invalidProof('The request URL cannot be determined, so the DPoP proof cannot be checked.', error);
    }
  }
}
