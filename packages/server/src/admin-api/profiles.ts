import { BUILT_IN_PROFILES, expandScopes } from '@tessera/shared';
import type { FastifyInstance } from 'fastify';
import { NoQuery } from './schemas.js';

/** Lists the built-in profiles with each scope's direct and transitive implications. */
export async function profileRoutes(app: FastifyInstance): Promise<void> {
  app.get('/profiles', { schema: { querystring: NoQuery } }, async () => {
    const items = [...BUILT_IN_PROFILES.values()].map((profile) => ({
      name: profile.name,
      title: profile.title,
      resourceTypes: profile.resourceTypes,
      reserved: profile.reserved === true,
      scopes: profile.scopes.map((scope) => ({
        name: scope.name,
        description: scope.description,
        implies: scope.implies,
        impliesAll: [...expandScopes(profile, [scope.name])].filter((name) => name !== scope.name).sort(),
        adminLevel: scope.adminLevel === true,
      })),
    }));
    return { items, nextCursor: null };
  });
}
