import type { OAuthErrorCode } from '@tessera/shared';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import { isDatabaseUnavailable } from '../storage/database.js';
import { OAuthError } from './errors.js';
import { parseStrictForm } from './form.js';
import { introspect } from './introspect.js';
import { authorizationServerMetadata } from './metadata.js';
import { revoke } from './revoke.js';
import { handleTokenRequest } from './token/pipeline.js';

/** Token request bodies are a few hundred bytes; anything far larger is refused with 413. */
export const OAUTH_BODY_LIMIT = 16 * 1024;
const FORM_TYPE = 'application/x-www-form-urlencoded';
export const DATABASE_RETRY_AFTER_SECONDS = 5;
const OTHER_METHODS = ['GET', 'PUT', 'PATCH', 'DELETE'] as const;

declare module 'fastify' {
  interface FastifyReply {
    /** The OAuth error code sent, for the metrics of the OAuth routes, or null on success. */
    oauthError: OAuthErrorCode | null;
    /** Whether introspection found the token active, for the metrics, or null until it returns a result. */
    introspectionActive: boolean | null;
  }
}

export function sendOAuthError(reply: FastifyReply, error: OAuthError, status = error.status): FastifyReply {
  reply.oauthError = error.code;
  reply.code(status).header('cache-control', 'no-store').header('pragma', 'no-cache');
  if (error.code === 'invalid_client' && error.usedBasic) reply.header('www-authenticate', 'Basic realm="tessera", charset="UTF-8"');
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  return reply.send({ error: error.code, error_description: error.description });
}

function formParams(request: FastifyRequest): Map<string, string[]> {
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== FORM_TYPE) {
    throw new OAuthError('invalid_request', `The request body must be ${FORM_TYPE}; got ${type ? `"${type.slice(0, 100)}"` : 'no Content-Type'}.`, 'wrong_content_type');
  }
  return parseStrictForm(typeof request.body === 'string' ? request.body : '', new Set(['resource']));
}

/**
 * Returns one entry per DPoP proof, from separate header lines or from one line that joins
 * several with commas (RFC 9110 §5.3). A JWT contains no comma, so a comma separates proofs.
 */
function dpopProofs(request: FastifyRequest): string[] {
  return (request.raw.headersDistinct.dpop ?? []).flatMap((value) => value.split(',')).map((proof) => proof.trim());
}

function authorizationHeader(request: FastifyRequest): string | undefined {
  return request.headers.authorization;
}

/**
 * Registers the OAuth endpoints. Bodies are read as text by a scoped parser, so a wrong content type,
 * a repeated parameter or an oversized body becomes an RFC 6749 error instead of a framework
 * error, and no JSON parser runs on these routes.
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
      let outcome: 'active' | 'inactive' | null = null;
      if (reply.introspectionActive !== null) outcome = reply.introspectionActive ? 'active' : 'inactive';
      ctx.metrics.oauth.recordIntrospection(outcome, reply.oauthError, reply.elapsedTime);
      done();
    },
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: OAUTH_BODY_LIMIT }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof OAuthError) return sendOAuthError(reply, error);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendOAuthError(reply, new OAuthError('invalid_request', `The request body is larger than ${OAUTH_BODY_LIMIT} bytes.`, 'body_too_large'), 413);
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'OAuth request failed: the database is unreachable');
      const unavailable = new OAuthError('temporarily_unavailable', 'The server cannot reach its database; retry after a few seconds.', 'database_unavailable');
      unavailable.retryAfter = DATABASE_RETRY_AFTER_SECONDS;
      return sendOAuthError(reply, unavailable);
    }
    if (error.statusCode && error.statusCode < 500) {
      return sendOAuthError(reply, new OAuthError('invalid_request', 'The request is malformed; send a form-encoded POST body.'));
    }
    request.log.error({ err: error }, 'OAuth request failed');
    return sendOAuthError(reply, new OAuthError('server_error', 'An unexpected error occurred; retry later.'));
  });

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

  const token = async (request: FastifyRequest, reply: FastifyReply) => {
    const params = formParams(request);
    const userAgent = typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'].slice(0, 512) : null;
    const issued = await handleTokenRequest(ctx, {
      params,
      authorization: authorizationHeader(request),
      dpopProofs: dpopProofs(request),
      endpointUrl: `${ctx.config.issuer}${request.routeOptions.url}`,
      sourceIp: request.ip,
      userAgent,
      log: request.log,
    });

    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return { access_token: issued.accessToken, token_type: issued.tokenType, expires_in: issued.expiresIn, scope: issued.scope };
  };
  app.post('/oauth/token', tokenMetrics, token);
  app.post('/rest/oauth2/latest/token', tokenMetrics, token);

  app.post('/oauth/introspect', introspectionMetrics, async (request, reply) => {
    const result = await introspect(ctx, formParams(request), authorizationHeader(request), request.ip);
    reply.introspectionActive = result.active === true;
    reply.header('cache-control', 'no-store');
    return result;
  });

  app.post('/oauth/revoke', async (request, reply) => {
    const userAgent = typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'].slice(0, 512) : null;
    await revoke(ctx, formParams(request), authorizationHeader(request), { ip: request.ip, userAgent });
    reply.header('cache-control', 'no-store');
    return reply.code(200).send();
  });

  for (const url of ['/oauth/token', '/rest/oauth2/latest/token', '/oauth/introspect', '/oauth/revoke']) {
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
