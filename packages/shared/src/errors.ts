/**
 * The one catalogue of error codes. OAuth endpoints return the RFC 6749 (and RFC 7009,
 * RFC 8707, RFC 9449) `error` values, and the admin API returns RFC 9457 problem details
 * whose `code` is one of ADMIN_ERRORS. docs/errors.md documents every entry and a test keeps
 * both in step.
 */

export const OAUTH_ERRORS = {
  invalid_request: { status: 400, title: 'The request is missing a parameter, repeats one, or is otherwise malformed.' },
  invalid_client: { status: 401, title: 'Client authentication failed.' },
  invalid_grant: { status: 400, title: 'The grant is invalid, expired or revoked.' },
  unauthorized_client: { status: 400, title: 'The client may not use this grant type.' },
  unsupported_grant_type: { status: 400, title: 'The grant type is not supported.' },
  invalid_scope: { status: 400, title: 'A requested scope is unknown or not granted.' },
  invalid_target: { status: 400, title: 'The requested resource is unknown or not granted.' },
  invalid_dpop_proof: { status: 400, title: 'The DPoP proof is missing, invalid or replayed (RFC 9449).' },
  unsupported_token_type: { status: 400, title: 'The server cannot revoke this token type.' },
  access_denied: { status: 403, title: 'The client may not do this: the instance or its network address is not allowed.' },
  slow_down: { status: 429, title: 'Too many requests (failed authentications or the account rate limit); retry after Retry-After seconds.' },
  temporarily_unavailable: { status: 503, title: 'The server is unavailable for now; retry later.' },
  server_error: { status: 500, title: 'An unexpected error occurred on the server.' },
} as const;

export type OAuthErrorCode = keyof typeof OAUTH_ERRORS;

export const ADMIN_ERRORS = {
  validation_failed: { status: 400, title: 'A field of the request is invalid.' },
  invalid_json: { status: 400, title: 'The request body is not valid JSON.' },
  invalid_cursor: { status: 400, title: 'The paging cursor is invalid.' },
  unknown_instance: { status: 400, title: 'An access grant names a product instance that does not exist.' },
  unknown_scope: { status: 400, title: 'An access grant names a scope that the instance profile does not define.' },
  unknown_resource_type: { status: 400, title: 'An access grant names a resource type that the instance profile does not define.' },
  admin_scope_not_allowed: { status: 400, title: 'Admin-level scopes need an explicit policy opt-in.' },
  policy_violation: { status: 400, title: "The request breaks the organisation's policy; the message names the policy." },
  duplicate_grant: { status: 400, title: 'An account lists the same instance twice.' },
  idempotency_key_invalid: { status: 400, title: 'The Idempotency-Key header is empty, too long or malformed.' },
  invalid_import: { status: 400, title: 'The uploaded export has invalid entries; errors lists each with its line or field.' },
  unauthenticated: { status: 401, title: 'Sign in first: the session cookie is missing or expired.' },
  invalid_token: { status: 401, title: 'The bearer token for the admin API is invalid, expired or revoked, or its account or credential is no longer active.' },
  invalid_credentials: { status: 401, title: 'The username or password is wrong.' },
  service_account_sign_in: { status: 403, title: 'Service accounts have no interactive sign-in.' },
  csrf_token_invalid: { status: 403, title: 'The X-CSRF-Token header is missing or does not match the session.' },
  forbidden: { status: 403, title: 'Your role does not allow this action.' },
  not_found: { status: 404, title: 'The resource does not exist.' },
  oidc_not_configured: { status: 404, title: 'Sign-in through an OpenID Connect provider is not configured.' },
  route_not_found: { status: 404, title: 'No route matches this method and path.' },
  name_taken: { status: 409, title: 'Another service account already has this name.' },
  username_taken: { status: 409, title: 'Another admin already has this username.' },
  last_admin: { status: 409, title: 'The change would leave no admin with the admin role.' },
  slug_taken: { status: 409, title: 'Another instance already has this slug.' },
  instance_built_in: { status: 409, title: 'The built-in tessera instance cannot be deleted, and its profile and audience cannot change.' },
  instance_in_use: { status: 409, title: 'Service accounts still hold grants on this instance.' },
  credential_not_live: { status: 409, title: 'The credential is revoked or expired.' },
  credential_already_rotated: { status: 409, title: 'The credential was already rotated; rotate its replacement instead.' },
  credential_not_rotatable: { status: 409, title: 'A public key credential cannot be rotated by the server; register the new key instead.' },
  federation_exists: { status: 409, title: 'A live federation with the same issuer, subject, audience and claims already exists.' },
  audience_taken: { status: 409, title: 'Another instance already has this audience.' },
  delivery_not_failed: { status: 409, title: 'Only a failed notification delivery can be retried.' },
  proposal_decided: { status: 409, title: 'The migration proposal was already accepted or rejected.' },
  audit_sink_name_taken: { status: 409, title: 'Another audit sink already has this name.' },
  idempotency_key_in_use: { status: 409, title: 'A request with this Idempotency-Key is still in progress.' },
  body_too_large: { status: 413, title: 'The request body is larger than the limit.' },
  unsupported_media_type: { status: 415, title: 'The request body must be JSON (Content-Type: application/json), or CSV where a route takes it.' },
  idempotency_key_reused: { status: 422, title: 'The Idempotency-Key was used before for a different request.' },
  too_many_attempts: { status: 429, title: 'Too many failed sign-in attempts; retry later.' },
  internal_error: { status: 500, title: 'An unexpected error occurred on the server.' },
  database_unavailable: { status: 503, title: 'The server cannot reach its database; retry later.' },
} as const;

export type AdminErrorCode = keyof typeof ADMIN_ERRORS;

/**
 * Why a sign-in through the OpenID Connect provider failed. The browser reaches the callback
 * from the provider, so the callback does not return problem details. It redirects to the
 * panel's sign-in page with one of these codes in the `oidc_error` query parameter.
 */
export const OIDC_SIGN_IN_ERRORS = {
  access_denied: { title: 'The identity provider did not sign the user in: the user cancelled, or the provider refused.' },
  provider_error: { title: 'The identity provider returned an error, or its response failed a security check.' },
  provider_unavailable: { title: 'The identity provider could not be reached.' },
  state_invalid: { title: 'The sign-in state is missing, expired, changed or used twice.' },
  no_mapped_group: { title: 'The user is in no group that the role map gives a role.' },
  local_admin_exists: { title: 'A local admin already has this username and linking is off.' },
  username_unavailable: { title: 'The provider sent no usable username, or another admin has it.' },
} as const;

export type OidcSignInErrorCode = keyof typeof OIDC_SIGN_IN_ERRORS;

/** Errors of `GET /metrics`, sent as RFC 9457 problem details like the admin API's. */
export const METRICS_ERRORS = {
  metrics_token_invalid: { status: 401, title: 'The metrics token is missing or wrong: send it as Authorization: Bearer <token>.' },
  metrics_forbidden: { status: 403, title: 'Metrics are served only to loopback callers unless a metrics token is configured.' },
} as const;

export type MetricsErrorCode = keyof typeof METRICS_ERRORS;
