import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/**
 * Collects the OpenAPI document from the route schemas. Registered on the root instance
 * before any route, because it records routes as they are added.
 */
export async function registerOpenApi(app: FastifyInstance, issuer: string): Promise<void> {
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
