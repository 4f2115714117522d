import type { Policy } from '../accounts/policy.js';
import type { InstanceRow } from '../storage/tables.js';
import { timestamp } from './views.js';

/** Builds the API view of the policy, with times in RFC 3339 and instances by slug rather than id. */
export function policyView(policy: Policy, instances: Map<string, InstanceRow>) {
  const allowedByInstance: Record<string, string[]> = {};
  for (const [instanceId, scopes] of Object.entries(policy.scopes.allowedByInstance)) {
    allowedByInstance[instances.get(instanceId)?.slug ?? instanceId] = scopes;
  }

  return {
    credentials: { ...policy.credentials, blockNoncompliantFrom: timestamp(policy.credentials.blockNoncompliantFrom) },
    accessTokens: policy.accessTokens,
    scopes: { ...policy.scopes, allowedByInstance },
    network: policy.network,
    dormancy: policy.dormancy,
    notifications: policy.notifications,
  };
}
