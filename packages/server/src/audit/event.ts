/** Description of one action, as the code that performs it reports it to the audit log. */
export interface AuditEventInput {
  actor: {
    type: 'admin' | 'service_account' | 'anonymous' | 'system';
    id?: string | null;
    /** The credential that authenticated a service account. */
    credentialId?: string | null;
  };
  /** Dotted verb such as `token.issued` or `account.updated`. */
  action: string;
  target?: { type: string; id: string } | null;
  instanceId?: string | null;
  source?: { ip?: string | null; userAgent?: string | null };
  outcome: 'success' | 'failure';
  /** Stable code for a failure, such as `wrong_secret`; never a secret or a token. */
  reason?: string | null;
  /** Before/after values and other context; callers must leave secrets out. */
  details?: Record<string, unknown> | null;
}

/** Requests carry the source of an action; this takes it from a Fastify request. */
export function sourceOf(request: { ip: string; headers: Record<string, string | string[] | undefined> }) {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null };
}
