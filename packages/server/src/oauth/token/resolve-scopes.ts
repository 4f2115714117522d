import { grantedScopeSet } from '../../accounts/access.js';
import { OAuthError } from '../errors.js';
import { single } from '../form.js';
import type { TokenRequest } from './context.js';

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Decides the token's scopes: every granted scope when `scope` is absent, otherwise the
 * requested ones, each of which must be granted directly or implied by a granted scope.
 */
export function resolveScopes(request: TokenRequest): void {
  const grant = request.grant!;
  const requested = single(request.params, 'scope');

  if (requested === undefined) {
    request.scopes = grant.scopes;
    return;
  }

  const names = requested.split(' ');
  if (names.some((name) => name === '')) {
    throw new OAuthError('invalid_scope', 'The scope parameter must be scope names separated by single spaces, with no leading or trailing space.', 'malformed_scope');
  }
  const invalid = names.find((name) => !SCOPE_TOKEN.test(name));
  if (invalid !== undefined) {
    throw new OAuthError('invalid_scope', 'Scope names use printable ASCII characters other than space, double quote and backslash (RFC 6749 §3.3).', 'malformed_scope');
  }

  const allowed = grantedScopeSet(request.profile!, grant.scopes);
  const missing = names.filter((name) => !allowed.has(name));
  if (missing.length > 0) {
    throw new OAuthError('invalid_scope', `Scope "${missing[0].slice(0, 64)}" is unknown or not granted to this account on this instance.`, 'scope_not_granted');
  }

  request.scopes = [...new Set(names)];
}
