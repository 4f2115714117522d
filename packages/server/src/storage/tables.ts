/**
 * Row types of every table. Times are epoch milliseconds; lists and maps are JSON text, so
 * that SQLite and PostgreSQL store them the same way.
 */

export interface InstanceRow {
  id: string;
  slug: string;
  name: string;
  profile: string;
  audience: string;
  access_token_lifetime_seconds: number | null;
  /** `jwt` for self-contained access tokens, `opaque` for reference tokens that need introspection. */
  token_format: 'jwt' | 'opaque';
  created_at: number;
  updated_at: number;
}

export interface ServiceAccountRow {
  id: string;
  client_id: string;
  name: string;
  description: string;
  owner: string;
  status: 'active' | 'disabled';
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  last_used_ip: string | null;
  /** Tokens issued under an older generation are inactive; see migration 0002. */
  token_generation: number;
  /** Reason the account exists, in the owner's words. */
  purpose: string;
  /** JSON array of contacts notified about expiry and dormancy: `{type: "email", address}` or `{type: "webhook", url}`. */
  contacts: string;
  /** When the owner should next review the account, or null. */
  review_at: number | null;
  /** JSON array of CIDR blocks that may request tokens, or null to use the policy's default. */
  ip_allowlist: string | null;
  /** JSON `{perMinute, perDay, mode}` with mode `enforce` or `log_only`, or null for no limit. */
  rate_limit: string | null;
  /** 1 when every token of the account must be bound to a DPoP key (RFC 9449), else 0. */
  dpop_bound: number;
  /** When the dormant-account job found the account unused for the policy's period, or null. */
  dormant_since: number | null;
}

export interface GrantRow {
  account_id: string;
  instance_id: string;
  /** JSON array of scope names. */
  scopes: string;
  /** JSON object: resource type to an id list or "*". */
  resources: string;
}

export type CredentialKind = 'secret' | 'public_key';

export interface CredentialRow {
  id: string;
  account_id: string;
  /** `secret` for a client secret, `public_key` for a key that signs private_key_jwt assertions. */
  kind: CredentialKind;
  /** Keyed hash (HMAC-SHA-256) of the client secret, base64url; empty for a public key. */
  secret_hash: string;
  /** JSON of the public JWK, for a key given inline; null otherwise. */
  public_jwk: string | null;
  /** URL of the JWKS that contains the client's keys, for a key given that way; null otherwise. */
  jwks_url: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  last_used_ip: string | null;
  /** The credential that replaced this one in a rotation, or null. */
  replaced_by: string | null;
}

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  /** PKCS#8 private key, encrypted with the master key (AES-256-GCM), base64url. */
  private_key: string;
  created_at: number;
  /** The key signs tokens from this time on; until then it is only published. */
  activates_at: number;
  /** The key stops signing at this time (a newer key took over), or null while current. */
  retires_at: number | null;
  /** The key leaves the JWKS at this time, once every token it signed has expired. */
  unpublishes_at: number | null;
}

/** `admin` may do everything, `instance-admin` manages the accounts of its instances, `auditor` only reads. */
export type AdminRole = 'admin' | 'instance-admin' | 'auditor';

export interface AdminRow {
  id: string;
  username: string;
  /** Argon2id hash of the local password, or empty for an admin who signs in only through OpenID Connect. */
  password_hash: string;
  role: AdminRole;
  created_at: number;
  /** `local` for a password admin, `oidc` for one created by an OpenID Connect sign-in. */
  auth_source: 'local' | 'oidc';
  /** The `iss` and `sub` of the identity provider's ID token, joined by a space, for an OIDC admin. */
  external_subject: string | null;
  updated_at: number | null;
}

export interface AdminInstanceRow {
  admin_id: string;
  instance_id: string;
}

export interface SessionRow {
  /** SHA-256 of the session cookie value, base64url; the cookie itself is never stored. */
  id_hash: string;
  admin_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

export interface AuditEventRow {
  seq: number;
  occurred_at: number;
  actor_type: 'admin' | 'service_account' | 'anonymous' | 'system';
  actor_id: string | null;
  credential_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  instance_id: string | null;
  source_ip: string | null;
  user_agent: string | null;
  outcome: 'success' | 'failure';
  reason: string | null;
  /** JSON object with before/after values and other context; never a secret. */
  details: string | null;
  prev_hash: string;
  hash: string;
}

export interface RevokedTokenRow {
  jti: string;
  expires_at: number;
}

export interface RevocationRow {
  seq: number;
  kind: 'credential' | 'account' | 'account_deleted' | 'token';
  account_id: string | null;
  credential_id: string | null;
  token_id: string | null;
  generation: number | null;
  /** When a credential entry takes effect: now for a revocation, the grace period's end for a rotation. */
  effective_at: number | null;
  created_at: number;
  /** After this time no token the entry could match is still valid, so the entry can go. */
  expires_at: number;
  /** JSON array of the instances the account had grants on when the entry was written. */
  instance_ids: string | null;
}

export interface OpaqueTokenRow {
  /** SHA-256 of the token, base64url; the token itself is never stored. */
  token_hash: string;
  /** JSON of the claims a JWT would carry. */
  claims: string;
  expires_at: number;
}

export interface DpopProofRow {
  /** SHA-256 of the proof key's thumbprint and the proof's jti, base64url. */
  jti_hash: string;
  /** After this time the proof's iat is outside the accepted window, so the row can go. */
  expires_at: number;
}

export interface PolicyRow {
  /** Always "organisation", because the table has one row. */
  id: string;
  /** JSON policy document; see accounts/policy.ts for its fields and defaults. */
  document: string;
  updated_at: number;
  /** The admin who last changed it, or null for the defaults. */
  updated_by: string | null;
}

export interface NotificationDeliveryRow {
  id: string;
  /** Event type, channel-independent key and contact; unique, so that a message is added once. */
  dedupe_key: string;
  /** Such as `credential.expiring` or `account.dormant`; see notify/events.ts. */
  event_type: string;
  account_id: string;
  credential_id: string | null;
  channel: 'email' | 'webhook';
  /** The email address or webhook URL. */
  target: string;
  /** JSON event body, fixed when the row is added so that every attempt sends the same event. */
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** When the next attempt is due, or null once delivered or failed. */
  next_attempt_at: number | null;
  /** Reason the last attempt failed; never a secret. */
  last_error: string | null;
  /** HTTP status of the last webhook attempt, or null. */
  last_status_code: number | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

export interface DormancyWarningRow {
  account_id: string;
  /** The last use (or creation) of the account that the warning counted from. */
  idle_since: number;
  warned_at: number;
}

export interface InstanceSeatsRow {
  instance_id: string;
  /** Licensed human users of the product instance; service accounts never count here. */
  licensed_users: number;
  /** Humans who used the product recently, as the product counts them, or null when not reported. */
  active_users: number | null;
  /** `product` when the product reported through the guard API, `admin` when an admin set it. */
  source: 'product' | 'admin';
  /** The reporting service account's id or the admin's id. */
  reported_by: string | null;
  reported_at: number;
  /** When either number last changed. */
  changed_at: number;
  /** When the last audit event about these numbers was written. */
  audited_at: number;
}

export interface MigrationImportRow {
  id: string;
  format: 'json' | 'csv';
  account_count: number;
  created_at: number;
  /** The admin who uploaded the export. */
  created_by: string;
}

export interface MigrationProposalRow {
  id: string;
  import_id: string;
  /** Order of the human account in the export, from 0. */
  position: number;
  /** JSON of the human account as the export described it. */
  source: string;
  /** JSON `{name, description, owner, purpose, access}` of the proposed service account. */
  proposal: string;
  /** JSON array of `{code, instance, message}` found while deriving the proposal. */
  problems: string;
  status: 'pending' | 'accepted' | 'rejected';
  decided_at: number | null;
  decided_by: string | null;
  /** The service account created on acceptance, or null. */
  account_id: string | null;
}

export interface MigrationMappingRow {
  proposal_id: string;
  import_id: string;
  source_name: string;
  source_email: string;
  account_id: string;
  created_at: number;
}

export interface AuditSinkRow {
  id: string;
  name: string;
  type: 'syslog' | 'webhook';
  /** JSON of the type's settings: see audit/sinks/settings.ts. */
  settings: string;
  /** A webhook sink's signing secret, encrypted with the master key (AES-256-GCM); null for syslog. */
  secret: string | null;
  /** 1 while the sink receives events, else 0. */
  enabled: number;
  /** The seq of the last event delivered; 0 before the first. */
  cursor_seq: number;
  /** Failed deliveries in a row, which set the backoff. */
  failures: number;
  /** No delivery is tried before this time while the sink is backing off. */
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  last_delivered_at: number | null;
  /** Reason the last delivery failed, without secrets; null after a success. */
  last_error: string | null;
  /** The node that delivers the sink until lease_expires_at. */
  lease_owner: string | null;
  lease_expires_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface AuditCheckpointRow {
  id: string;
  /** The seq of the last pruned event; the first remaining event links to its hash. */
  seq: number;
  hash: string;
  first_seq: number;
  pruned_count: number;
  created_at: number;
  /** RFC 7638 thumbprint of the Ed25519 key that signed the checkpoint. */
  key_id: string;
  /** Ed25519 signature over the checkpoint's signed payload, base64url. */
  signature: string;
}

export interface IdempotencyKeyRow {
  /** The caller the key belongs to, such as `admin:<id>`; keys of different callers never meet. */
  owner: string;
  idempotency_key: string;
  /** SHA-256 over the method, path and body of the first request, hex. */
  fingerprint: string;
  /** Id of the request that owns the key while it is in flight; null once the response is stored. */
  lock_id: string | null;
  locked_at: number | null;
  response_status: number | null;
  /** The response body encrypted with the master key's data key, because it may hold a client secret. */
  response_body: string | null;
  created_at: number;
  expires_at: number;
}

/** A trust rule: tokens from an outside issuer that the account accepts in the jwt-bearer grant. */
export interface FederationRow {
  id: string;
  account_id: string;
  /** The `iss` the outside tokens carry, compared exactly. */
  issuer: string;
  /** Location of the issuer's keys; null to discover them from its OpenID configuration. */
  jwks_url: string | null;
  /** Exact `sub`, or null when subject_pattern is set. */
  subject: string | null;
  /** Anchored glob over `sub` where `*` matches any run of characters other than `:`. */
  subject_pattern: string | null;
  /** The value the token's `aud` must contain. */
  audience: string;
  /** JSON object: further claim names to the exact string each must have. */
  claims: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  last_used_ip: string | null;
}

export interface UsedAssertionRow {
  /** SHA-256 of the namespace (the client or issuer) and the assertion's jti, base64url. */
  key: string;
  /** After this time the assertion is expired anyway, so the entry can go. */
  expires_at: number;
}

export interface MetaRow {
  key: string;
  value: string;
}

/** A counter that database triggers raise when rows cached in memory change. */
export interface CacheGenerationRow {
  name: string;
  generation: number;
}

export interface Database {
  instances: InstanceRow;
  service_accounts: ServiceAccountRow;
  grants: GrantRow;
  credentials: CredentialRow;
  signing_keys: SigningKeyRow;
  admins: AdminRow;
  sessions: SessionRow;
  audit_events: AuditEventRow;
  revoked_tokens: RevokedTokenRow;
  revocations: RevocationRow;
  opaque_tokens: OpaqueTokenRow;
  meta: MetaRow;
  policies: PolicyRow;
  dpop_proofs: DpopProofRow;
  admin_instances: AdminInstanceRow;
  notification_deliveries: NotificationDeliveryRow;
  dormancy_warnings: DormancyWarningRow;
  instance_seats: InstanceSeatsRow;
  migration_imports: MigrationImportRow;
  migration_proposals: MigrationProposalRow;
  migration_mappings: MigrationMappingRow;
  audit_sinks: AuditSinkRow;
  audit_checkpoints: AuditCheckpointRow;
  idempotency_keys: IdempotencyKeyRow;
  federations: FederationRow;
  used_assertions: UsedAssertionRow;
  cache_generations: CacheGenerationRow;
}
