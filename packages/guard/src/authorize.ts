import { type Profile, WILDCARD, expandScopes } from '@tessera/shared';
import { GuardError } from './errors.js';
import type { GuardLogger } from './logger.js';
import type { Principal } from './principal.js';

export interface ResourceReference {
  /** A resource type of the profile, such as `project`. */
  type: string;
  id: string;
}

/** Maximum length of a resource id quoted back in an error description. */
const MAX_QUOTED_ID_LENGTH = 100;

/** Number of distinct unknown scopes and resource types that get a warning. */
const MAX_WARNED_NAMES = 100;

function scopeDenied(scope: string): GuardError {
  return new GuardError('insufficient_scope', { description: `The access token lacks the scope ${scope}.`, scope });
}

function resourceDenied(resource: ResourceReference): GuardError {
  const id = resource.id.length > MAX_QUOTED_ID_LENGTH ? `${resource.id.slice(0, MAX_QUOTED_ID_LENGTH)}...` : resource.id;
  return new GuardError('resource_forbidden', { description: `The access token does not grant access to ${resource.type} ${id}.` });
}

/**
 * Scope and resource decisions for one profile. Both fail closed: a scope or resource type
 * that the profile does not define is never granted, and the product gets a warning once.
 */
export class Authorizer {
  private readonly expanded = new WeakMap<Principal, Set<string>>();
  private readonly scopeNames: Set<string>;
  private readonly resourceTypes: Set<string>;
  private readonly warned = new Set<string>();

  constructor(
    private readonly profile: Profile,
    private readonly logger: GuardLogger,
  ) {
    this.scopeNames = new Set(profile.scopes.map((scope) => scope.name));
    this.resourceTypes = new Set(profile.resourceTypes);
  }

  /** Returns an `insufficient_scope` error unless the token's scopes include or imply `scope`. */
  requireScope(principal: Principal, scope: string): GuardError | undefined {
    if (!this.scopeNames.has(scope)) {
      this.warnOnce(`scope:${scope}`, { scope, profile: this.profile.name }, 'a route requires a scope that the profile does not define, so every request is denied');
      return scopeDenied(scope);
    }

    let granted = this.expanded.get(principal);
    if (!granted) {
      granted = expandScopes(this.profile, principal.scopes);
      this.expanded.set(principal, granted);
    }
    return granted.has(scope) ? undefined : scopeDenied(scope);
  }

  /**
   * Returns a `resource_forbidden` error unless the token's restrictions list the resource
   * id under its type, or give the type the wildcard "*". A type absent from the token means
   * no access.
   */
  requireResource(principal: Principal, resource: ResourceReference): GuardError | undefined {
    if (!this.resourceTypes.has(resource.type)) {
      this.warnOnce(`type:${resource.type}`, { resourceType: resource.type, profile: this.profile.name }, 'a route checks a resource type that the profile does not define, so every request is denied');
      return resourceDenied(resource);
    }

    if (!Object.hasOwn(principal.resources, resource.type)) return resourceDenied(resource);
    const allowed = principal.resources[resource.type];
    if (allowed === WILDCARD) return undefined;
    return Array.isArray(allowed) && allowed.includes(resource.id) ? undefined : resourceDenied(resource);
  }

  private warnOnce(key: string, details: Record<string, unknown>, message: string): void {
    // Names may come from request input, so the set of warned names stays bounded.
    if (this.warned.has(key) || this.warned.size >= MAX_WARNED_NAMES) return;
    this.warned.add(key);
    this.logger.warn(details, message);
  }
}
