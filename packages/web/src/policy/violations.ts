/** Plain descriptions of the violation codes that GET /policy/noncompliance lists. */
const VIOLATION_LABELS: Record<string, string> = {
  no_expiry: 'Never expires, but the policy requires an expiry',
  lifetime_exceeds_maximum: 'Lifetime is longer than the policy maximum',
  too_many_live_credentials: 'More live credentials than the policy allows',
  scope_not_allowed: 'Scopes the policy no longer allows on this instance',
  admin_scope_not_allowed: 'Admin-level scopes, which the policy does not allow',
};

export function describeViolation(code: string): string {
  return VIOLATION_LABELS[code] ?? code;
}
