import type { FastifyInstance } from 'fastify';
import { authorOf } from '../access.js';
import { principalOf } from '../guard-hooks.js';
import { userJson } from '../jira-json.js';
import type { RouteContext } from '../route-context.js';

/**
 * `GET /rest/api/2/myself`: the service account as a Jira user, plus a `serviceAccount`
 * object with what Tessera granted and the tracker's roles. Any valid token may call it.
 */
export function registerMyselfRoute(app: FastifyInstance, context: RouteContext): void {
  app.get('/rest/api/2/myself', async (request) => {
    const principal = principalOf(request);
    const roles = Object.fromEntries(
      context.store
        .listProjects()
        .map((project) => [project.key, context.access.roleIn(principal, project)] as const)
        .filter(([, role]) => role !== undefined),
    );

    return {
      ...userJson(context.baseUrl(), authorOf(principal)),
      locale: 'en_US',
      groups: { size: 0, items: [] },
      applicationRoles: { size: 0, items: [] },
      expand: 'groups,applicationRoles',
      serviceAccount: {
        accountId: principal.accountId,
        clientId: principal.clientId,
        credentialId: principal.credentialId,
        instance: principal.instance,
        scopes: principal.scopes,
        resources: principal.resources,
        projectRoles: roles,
        tokenExpiresAt: new Date(principal.expiresAt).toISOString(),
      },
    };
  });
}
