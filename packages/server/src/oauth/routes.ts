import type { OAuthErrorCode } from '@tessera/shared';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import {
  INTROSPECTION_PATH,
  OAUTH_BODY_LIMIT,
  type OAuthHttpRequest,
  type OAuthHttpResponse,
  TOKEN_PATHS,
  failureResponse,
  introspectionEndpoint,
  oauthErrorResponse,
  recordIntrospection,
  revocationEndpoint,
  tokenEndpoint,
} from './endpoints.js';
import type { OAuthError } from './errors.js';
import { authorizationServerMetadata } from './metadata.js';

export { DATABASE_RETRY_AFTER_SECONDS, OAUTH_BODY_LIMIT } from './endpoints.js';

const OTHER_METHODS = ['GET', 'PUT', 'PATCH', 'DELETE'] as const;

declare module 'fastify' {
  interface FastifyReply {
    /** The OAuth error code sent, for the metrics of the OAuth routes, or null on success. */
    oauthError: OAuthErrorCode | null;
    /** Whether introspection found the token active, for the metrics, or null until it returns a result. */
    introspectionActive: boolean | null;
  }
}

function send(reply: FastifyReply, response: OAuthHttpResponse): FastifyReply {
  reply.oauthError = response.oauthError;
  reply.introspectionActive = response.introspectionActive;
  return reply.code(response.status).headers(response.headers).send(response.body);
}

export function sendOAuthError(reply: FastifyReply, error: OAuthError, status = error.status): FastifyReply {
  return send(reply, oauthErrorResponse(error, status));
}

function oauthRequest(request: FastifyRequest): OAuthHttpRequest {
  return {
    path: request.routeOptions.url ?? request.url,
    contentType: request.headers['content-type'],
    body: typeof request.body === 'string' ? request.body : '',
    authorization: request.headers.authorization,
    dpop: request.raw.headersDistinct.dpop,
    userAgent: request.headers['user-agent'],
    sourceIp: request.ip,
    log: request.log,
  };
}

/**
 * Registers the OAuth endpoints. Bodies are read as text by a scoped parser, so a wrong content type,
 * a repeated parameter or an oversized body becomes an RFC 6749 error instead of a framework
 * error, and no JSON parser runs on these routes. Well-formed POST requests to the token and
 * introspection endpoints are handled ahead of Fastify by plain-http.ts, through the same
 * functions. These routes handle the rest, and requests injected in tests.
 */
export async function oauthRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  app.decorateReply('oauthError', null);
  app.decorateReply('introspectionActive', null);
  // Callback-style hooks, because an async hook would allocate a promise per token request.
  const tokenMetrics = {
    onResponse(_request: FastifyRequest, reply: FastifyReply, done: () => void) {
      ctx.metrics.oauth.recordToken(reply.statusCode, reply.oauthError, reply.elapsedTime);
      done();
    },
  };
  const introspectionMetrics = {
    onResponse(_request: FastifyRequest, reply: FastifyReply, done: () => void) {
      recordIntrospection(ctx, reply, reply.elapsedTime);
      done();
    },
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: OAUTH_BODY_LIMIT }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: FastifyError, request, reply) => send(reply, failureResponse(error, request.log)));

  const metadata = async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'public, max-age=300');
    return authorizationServerMetadata(ctx.config);
  };
  app.get('/.well-known/oauth-authorization-server', metadata);
  // RFC 8414 §3: an issuer with a path publishes its metadata at the well-known path followed by that path.
  const issuerPath = new URL(ctx.config.issuer).pathname.replace(/\/$/, '');
  if (issuerPath) app.get(`/.well-known/oauth-authorization-server${issuerPath}`, metadata);

  app.get('/oauth/jwks', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return { keys: ctx.keyRing.publishedKeys().map((key) => key.jwk) };
  });

  for (const path of TOKEN_PATHS) {
    app.post(path, tokenMetrics, async (request, reply) => send(reply, await tokenEndpoint(ctx, oauthRequest(request))));
  }
  app.post(INTROSPECTION_PATH, introspectionMetrics, async (request, reply) => send(reply, await introspectionEndpoint(ctx, oauthRequest(request))));
  app.post('/oauth/revoke', async (request, reply) => send(reply, await revocationEndpoint(ctx, oauthRequest(request))));

  for (const url of [...TOKEN_PATHS, INTROSPECTION_PATH, '/oauth/revoke']) {
    app.route({
      method: [...OTHER_METHODS],
      url,
      handler: async (_request, reply) => {
        reply.code(405).header('allow', 'POST').header('cache-control', 'no-store');
        return { error: 'invalid_request', error_description: `${url} accepts only POST.` };
      },
    });
  }
}
