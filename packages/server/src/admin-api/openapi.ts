import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { ROUTE_SUMMARIES, routeTag } from './route-summaries.js';

/** One method and path of a route under /api/v1, as Fastify registered it (`:id` style). */
export interface ApiRoute {
  method: string;
  url: string;
}

const apiRoutes = new WeakMap<FastifyInstance, ApiRoute[]>();

/** Lists every route registered under /api/v1 on the app, so a test can hold the document to it. */
export function registeredApiRoutes(app: FastifyInstance): ApiRoute[] {
  return apiRoutes.get(app) ?? [];
}

/**
 * Collects the OpenAPI document from the route schemas.
 * NOTE: no admin route declares a response schema yet, so the document gives every response as
 * "Default Response" without a body shape. Adding one also changes serialization, because
 * Fastify then drops fields the schema does not list, so each needs a test of its own output. Registered on the root instance
 * before any route, because it records routes as they are added.
 */
export async function registerOpenApi(app: FastifyInstance, issuer: string): Promise<void> {
  const routes: ApiRoute[] = [];
  apiRoutes.set(app, routes);
  // Added before the swagger plugin, so that the summary and tag are set when it reads the route.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1/')) return;
    const methods = [route.method].flat();
    for (const method of methods) routes.push({ method, url: route.url });

    const schema = (route.schema ??= {}) as { summary?: string; tags?: string[] };
    schema.summary ??= ROUTE_SUMMARIES[`${methods[0]} ${route.url}`];
    schema.tags ??= [routeTag(route.url)];
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tessera admin API',
        version: '1',
        description: 'Manage product instances, service accounts, credentials, signing keys and the audit log. Errors are RFC 9457 problem details; docs/errors.md lists their codes.',
      },
      servers: [{ url: issuer }],
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'tessera_session', description: 'Set by POST /api/v1/session. State-changing requests also send X-CSRF-Token.' },
          serviceAccountToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token for the built-in tessera instance (audience <issuer>/api/v1) with admin:read or admin:write. Admin management and sessions stay with signed-in admins.' },
        },
      },
      security: [{ session: [] }, { serviceAccountToken: [] }],
    },
  });
}

/** Serves the collected document; only routes under /api/v1 are part of it. */
export function openApiRoute(app: FastifyInstance): void {
  app.get('/openapi.json', { schema: { hide: true } }, async (request) => {
    const document = request.server.swagger() as { paths?: Record<string, unknown> };
    const paths = Object.fromEntries(Object.entries(document.paths ?? {}).filter(([path]) => path.startsWith('/api/v1/')));
    return { ...document, paths };
  });
}
