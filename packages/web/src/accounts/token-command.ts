import type { AccessGrant, Instance } from '../api/types';

export interface TokenCommand {
  /** Slug of the instance the command requests a token for, or an empty string for an account with at most one grant. */
  key: string;
  /** Instance the command requests a token for, once the instance list has loaded. */
  instance?: Instance;
  command: string;
}

/**
 * Builds ready-to-run curl requests for a token. An account with grants on several instances
 * must name one with `resource` (the instance audience), so there is one command per grant.
 */
export function tokenCommands(clientId: string, secret: string, access: AccessGrant[], instances: Map<string, Instance>, origin = window.location.origin): TokenCommand[] {
  const base = `curl -u "${clientId}:${secret}" -d grant_type=client_credentials`;
  const endpoint = `${origin}/oauth/token`;
  if (access.length <= 1) return [{ key: '', instance: access[0] ? instances.get(access[0].instance) : undefined, command: `${base} ${endpoint}` }];

  const bySlug = [...access].sort((a, b) => a.instance.localeCompare(b.instance));
  return bySlug.map((grant) => {
    const instance = instances.get(grant.instanceId ?? grant.instance) ?? instances.get(grant.instance);
    const audience = instance?.audience ?? '<audience>';
    return { key: grant.instance, instance, command: `${base} -d resource=${audience} ${endpoint}` };
  });
}
