/**
 * One-line summaries of the admin API operations for the OpenAPI document, keyed by method and
 * Fastify path. A route may instead set `schema.summary` itself, which wins. The OpenAPI test
 * fails for a route that has neither, so a new route cannot reach the document undescribed.
 */
export const ROUTE_SUMMARIES: Record<string, string> = {
  'POST /api/v1/session': 'Sign an admin in with a username and password',
  'GET /api/v1/session': 'Show the signed-in admin and the CSRF token',
  'DELETE /api/v1/session': 'Sign out',
  'GET /api/v1/session/oidc': 'Show whether OpenID Connect sign-in is configured',
  'GET /api/v1/session/oidc/start': 'Start a sign-in at the OpenID Connect provider',
  'GET /api/v1/session/oidc/callback': 'Finish a sign-in coming back from the OpenID Connect provider',

  'GET /api/v1/instances': 'List product instances',
  'GET /api/v1/instances/:id': 'Show a product instance by id or slug',
  'POST /api/v1/instances': 'Create a product instance',
  'PATCH /api/v1/instances/:id': 'Change a product instance',
  'DELETE /api/v1/instances/:id': 'Delete a product instance that no account holds a grant on',
  'PUT /api/v1/instances/:id/seats': "Set an instance's licensed seat count",

  'GET /api/v1/service-accounts': 'List service accounts',
  'GET /api/v1/service-accounts/:id': 'Show a service account',
  'POST /api/v1/service-accounts': 'Create a service account with its first credential',
  'PATCH /api/v1/service-accounts/:id': 'Change a service account',
  'PUT /api/v1/service-accounts/:id': "Converge a service account to a desired state; unchanged is a no-op, and dryRun lists the changes",
  'DELETE /api/v1/service-accounts/:id': 'Delete a service account',
  'GET /api/v1/service-accounts/:id/credentials': "List an account's credentials",
  'POST /api/v1/service-accounts/:id/credentials': 'Add a credential to an account',
  'DELETE /api/v1/service-accounts/:id/credentials/:credentialId': 'Revoke a credential',
  'POST /api/v1/service-accounts/:id/credentials/:credentialId/rotate': 'Rotate a credential with a grace period for the old secret',
  'GET /api/v1/service-accounts/:id/federations': "List an account's trust rules for workload identity issuers",
  'GET /api/v1/service-accounts/:id/federations/:federationId': 'Show a trust rule',
  'POST /api/v1/service-accounts/:id/federations': 'Trust tokens of an outside issuer for an account (JWT bearer grant)',
  'DELETE /api/v1/service-accounts/:id/federations/:federationId': 'Revoke a trust rule and end the tokens it issued',
  'GET /api/v1/service-accounts/:id/token-usage': 'Count token requests of an account per UTC day',
  'GET /api/v1/service-accounts/:id/notifications': 'List notifications sent about an account',

  'GET /api/v1/audit-events': 'List audit events with filters',
  'GET /api/v1/audit-events/export': 'Export audit events as a download',
  'GET /api/v1/audit-events/:id': 'Show an audit event',
  'GET /api/v1/audit-retention': 'Show how long audit events are kept',
  'PUT /api/v1/audit-retention': 'Set how long audit events are kept',
  'GET /api/v1/audit-checkpoints': 'List the signed audit checkpoints and their public key',
  'GET /api/v1/audit-sinks': 'List audit sinks with their delivery state',
  'GET /api/v1/audit-sinks/:id': 'Show an audit sink with its delivery state',
  'POST /api/v1/audit-sinks': 'Add an audit sink (syslog or webhook)',
  'PATCH /api/v1/audit-sinks/:id': 'Change an audit sink',
  'DELETE /api/v1/audit-sinks/:id': 'Delete an audit sink',

  'GET /api/v1/signing-keys': 'List the published signing keys',
  'POST /api/v1/signing-keys/rotate': 'Rotate the token signing key',
  'GET /api/v1/profiles': 'List product profiles with their scopes and resource types',

  'GET /api/v1/policy': "Show the organisation's policy",
  'PUT /api/v1/policy': "Replace the organisation's policy",
  'GET /api/v1/policy/noncompliance': 'List accounts and credentials that the policy no longer allows',

  'GET /api/v1/admins': 'List admins',
  'GET /api/v1/admins/:id': 'Show an admin',
  'POST /api/v1/admins': 'Create an admin',
  'PATCH /api/v1/admins/:id': 'Change an admin',
  'DELETE /api/v1/admins/:id': 'Delete an admin',

  'GET /api/v1/notifications/deliveries': 'List notification deliveries',
  'POST /api/v1/notifications/deliveries/:id/retry': 'Retry a failed notification delivery',
  'GET /api/v1/notifications/signing-secret': 'Show the key that signs webhook notifications',

  'GET /api/v1/reports/expiring-credentials': 'Report credentials that expire soon',
  'GET /api/v1/reports/unused-accounts': 'Report accounts not used for a number of days',
  'GET /api/v1/reports/seats': 'Report licensed seats per instance',

  'GET /api/v1/migrations/imports': 'List migration imports',
  'GET /api/v1/migrations/imports/:id': 'Show a migration import with its proposals',
  'POST /api/v1/migrations/imports': 'Import an export of service-style user accounts',
  'POST /api/v1/migrations/imports/:id/proposals/:proposalId/accept': 'Accept a migration proposal and create its account',
  'POST /api/v1/migrations/imports/:id/proposals/:proposalId/reject': 'Reject a migration proposal',
  'GET /api/v1/migrations/manifest': 'Export the manifest of migrated accounts',
};

/** Returns the OpenAPI tag of a route: the first path segment after /api/v1, such as `service-accounts`. */
export function routeTag(url: string): string {
  return url.split('/')[3] ?? 'api';
}
