import { findProfile } from '@tessera/shared';
import type { ServerContext } from '../../context.js';
import { grantsOf } from '../../storage/accounts.js';
import { findInstance, findInstanceByAudience } from '../../storage/instances.js';
import { parsedGrant } from '../../storage/token-clients.js';
import type { GrantRow, InstanceRow } from '../../storage/tables.js';
import { OAuthError } from '../errors.js';
import { single } from '../form.js';
import type { TokenRequest } from './context.js';

/** Normalises an audience or resource URI so that a trailing slash does not matter. */
export function normaliseAudience(uri: string): string {
  return uri.replace(/\/+$/, '');
}

function isAbsoluteUriWithoutFragment(value: string): boolean {
  try {
    const url = new URL(value);
    return url.hash === '' && !value.includes('#');
  } catch {
    return false;
  }
}

/** Finds the instance with this id, with a loop because find() would make a closure on every token request. */
function instanceWithId(instances: InstanceRow[], id: string): InstanceRow | undefined {
  for (const instance of instances) if (instance.id === id) return instance;
  return undefined;
}

/**
 * Picks the instance the token is for (RFC 8707): the `resource` parameter names its
 * audience, and may be left out when the account has exactly one grant.
 */
export async function selectGrant(ctx: ServerContext, request: TokenRequest): Promise<void> {
  const account = request.client!.account;
  const resources = request.params.get('resource') ?? [];
  if (resources.length > 1) {
    throw new OAuthError('invalid_target', 'Send one resource parameter: each token is for one product instance.', 'several_resources');
  }

  const client = request.client!;
  const grants = client.grants ?? (await grantsOf(ctx.db, [account.id]));
  const resource = single(request.params, 'resource');
  let grantRow: GrantRow | undefined;

  if (resource === undefined) {
    if (grants.length !== 1) {
      const reason = grants.length === 0 ? 'The account has no access grants; ask an admin to grant it access to an instance.' : 'The account has grants on several instances; send the resource parameter with the audience of one of them.';
      throw new OAuthError('invalid_target', reason, grants.length === 0 ? 'no_grants' : 'resource_required');
    }
    grantRow = grants[0];
  } else {
    if (!isAbsoluteUriWithoutFragment(resource)) {
      throw new OAuthError('invalid_target', 'The resource parameter must be an absolute URI without a fragment: the base URL of a product instance.', 'malformed_resource');
    }
    // URL parsing lowercases the scheme and host and drops a default port, as for stored audiences.
    const audience = normaliseAudience(new URL(resource).href);
    const instance = client.instances?.find((candidate) => candidate.audience === audience) ?? (await findInstanceByAudience(ctx.db, audience));
    grantRow = instance && grants.find((grant) => grant.instance_id === instance.id);
    if (!grantRow) {
      throw new OAuthError('invalid_target', 'The resource is not an instance this account has access to; check the URL against the instance audience.', instance ? 'resource_not_granted' : 'unknown_resource');
    }
  }

  const instance = client.instances ? instanceWithId(client.instances, grantRow.instance_id) : await findInstance(ctx.db, grantRow.instance_id);
  const profile = instance && findProfile(instance.profile);
  if (!instance || !profile) {
    throw new OAuthError('invalid_target', 'The instance of this grant no longer exists.', 'instance_missing');
  }

  request.instance = instance;
  request.profile = profile;
  request.grant = {
    instanceId: instance.id,
    instanceSlug: instance.slug,
    ...parsedGrant(grantRow),
  };
}
