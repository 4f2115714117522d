import { DPOP_PROOF_MAX_AGE_SECONDS, DpopProofError, proofReplayKey, verifyDpopProof } from '@tessera/shared';
import type { ServerContext } from '../../context.js';
import { recordDpopProof } from '../../storage/dpop-proofs.js';
import { OAuthError } from '../errors.js';
import type { TokenRequest } from './context.js';

/**
 * Binds the token to the client's key when the request carries a DPoP proof (RFC 9449 §5),
 * after checking the proof per §4.3. DPoP is a published RFC, so it is on for every account
 * without a flag; accounts with `dpop_bound` set must send a proof.
 */
export async function checkDpop(ctx: ServerContext, request: TokenRequest): Promise<void> {
  const account = request.client!.account;
  const proofs = request.dpopProofs;

  if (proofs.length === 0) {
    // RFC 9449 requires rejecting such a request for a client registered with
    // dpop_bound_access_tokens, but names no error code. invalid_dpop_proof points the client
    // at the proof, whereas invalid_request does not say which part of the request is wrong.
    if (Number(account.dpop_bound) === 1) {
      throw new OAuthError('invalid_dpop_proof', 'This account accepts only DPoP-bound tokens: send a DPoP header with a proof (RFC 9449) in the token request.', 'dpop_proof_required');
    }
    return;
  }
  if (proofs.length > 1) {
    throw new OAuthError('invalid_dpop_proof', `The request has ${proofs.length} DPoP headers; send exactly one.`, 'dpop_several_proofs');
  }

  const now = ctx.clock.now();
  let proof;
  try {
    proof = await verifyDpopProof(proofs[0], { method: 'POST', url: request.endpointUrl, now });
  } catch (error) {
    if (error instanceof DpopProofError) throw new OAuthError('invalid_dpop_proof', error.description, `dpop_${error.reason}`);
    throw error;
  }

  // A proof stays acceptable until its iat is the window behind the clock, and its iat may be
  // the window ahead, so two windows from now outlast it.
  const expiresAt = now + 2 * DPOP_PROOF_MAX_AGE_SECONDS * 1000;
  if (!(await recordDpopProof(ctx.db, proofReplayKey(proof), expiresAt))) {
    throw new OAuthError('invalid_dpop_proof', 'This DPoP proof was used before; create a new proof with a fresh jti for every request.', 'dpop_replayed');
  }
  request.dpopKeyThumbprint = proof.jkt;
}
