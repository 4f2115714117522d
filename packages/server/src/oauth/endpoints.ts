import type { OAuthErrorCode } from '@tessera/shared';
import type { Logger } from 'pino';
import type { ServerContext } from '../context.js';
import { isDatabaseUnavailable } from '../storage/database.js';
import { OAuthError } from './errors.js';
import { parseStrictForm } from './form.js';
import { introspect } from './introspect.js';
import { revoke } from './revoke.js';
import { handleTokenRequest } from './token/pipeline.js';

/** Token request bodies are a few hundred bytes; anything far larger is refused with 413. */
export const OAUTH_BODY_LIMIT = 16 * 1024;
export const FORM_TYPE = 'application/x-www-form-urlencoded';
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** The paths that serve the token endpoint; the second is the one Atlassian's products use. */
export const TOKEN_PATHS = ['/oauth/token', '/rest/oauth2/latest/token'] as const;
export const INTROSPECTION_PATH = '/oauth/introspect';

/**
 * The parts of one HTTP request that the OAuth endpoints read. Fastify's routes and the plain
 * node:http path in plain-http.ts both fill it in, so that both respond alike.
 */
export interface OAuthHttpRequest {
  /** The route's path, without a query. */
  path: string;
  contentType: string | undefined;
  body: string;
  authorization: string | undefined;
  /** The DPoP header's lines, as node:http's headersDistinct gives them. */
  dpop: string[] | undefined;
  userAgent: string | string[] | undefined;
  sourceIp: string;
  log: Pick<Logger, 'error' | 'warn'>;
}

/** A response of the OAuth endpoints: status, headers beyond the content type, and a JSON body. */
export interface OAuthHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** The OAuth error code sent, for the metrics, or null on success. */
  oauthError: OAuthErrorCode | null;
  /** Whether introspection found the token active, for the metrics, or null when it returned no result. */
  introspectionActive: boolean | null;
}

/** Returns a Content-Type header's media type in lower case, without its parameters. */
function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** Tells whether a Content-Type header names a form body, the only body the endpoints accept. */
export function isFormContentType(contentType: string | undefined): boolean {
  return contentType === FORM_TYPE || mediaType(contentType) === FORM_TYPE;
}

function formParams(request: OAuthHttpRequest): Map<string, string[]> {
  const type = mediaType(request.contentType);
  if (type !== FORM_TYPE) {
    throw new OAuthError('invalid_request', `The request body must be ${FORM_TYPE}; got ${type ? `"${type.slice(0, 100)}"` : 'no Content-Type'}.`, 'wrong_content_type');
  }
  return parseStrictForm(request.body, new Set(['resource']));
}

/**
 * Returns one entry per DPoP proof, from separate header lines or from one line that joins
 * several with commas (RFC 9110 §5.3). A JWT contains no comma, so a comma separates proofs.
 */
function dpopProofs(lines: string[] | undefined): string[] {
  if (lines === undefined) return [];
  return lines.flatMap((value) => value.split(',')).map((proof) => proof.trim());
}

function success(body: unknown, headers: Record<string, string>, introspectionActive: boolean | null = null): OAuthHttpResponse {
  return { status: 200, headers, body, oauthError: null, introspectionActive };
}

/** Records an introspection response in the metrics as active, inactive or its error. */
export function recordIntrospection(ctx: ServerContext, response: Pick<OAuthHttpResponse, 'oauthError' | 'introspectionActive'>, elapsedMs: number): void {
  let outcome: 'active' | 'inactive' | null = null;
  if (response.introspectionActive !== null) outcome = response.introspectionActive ? 'active' : 'inactive';
  ctx.metrics.oauth.recordIntrospection(outcome, response.oauthError, elapsedMs);
}

/** Builds the RFC 6749 §5.2 error response for `error`, with the headers its code calls for. */
export function oauthErrorResponse(error: OAuthError, status = error.status): OAuthHttpResponse {
  const headers: Record<string, string> = { 'cache-control': 'no-store', pragma: 'no-cache' };
  if (error.code === 'invalid_client' && error.usedBasic) headers['www-authenticate'] = 'Basic realm="tessera", charset="UTF-8"';
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
  return { status, headers, body: { error: error.code, error_description: error.description }, oauthError: error.code, introspectionActive: null };
}

/**
 * Turns any failure of an OAuth request into an OAuth error response: an unreachable database
 * into 503 with Retry-After, a framework's client error into invalid_request, and anything
 * else into server_error, logged with the request's id.
 */
export function failureResponse(error: unknown, log: Pick<Logger, 'error' | 'warn'>): OAuthHttpResponse {
  if (error instanceof OAuthError) return oauthErrorResponse(error);

  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return oauthErrorResponse(new OAuthError('invalid_request', `The request body is larger than ${OAUTH_BODY_LIMIT} bytes.`, 'body_too_large'), 413);
  }
  if (isDatabaseUnavailable(error)) {
    log.warn({ err: error }, 'OAuth request failed: the database is unreachable');
    const unavailable = new OAuthError('temporarily_unavailable', 'The server cannot reach its database; retry after a few seconds.', 'database_unavailable');
    unavailable.retryAfter = DATABASE_RETRY_AFTER_SECONDS;
    return oauthErrorResponse(unavailable);
  }
  if (typeof statusCode === 'number' && statusCode < 500) {
    return oauthErrorResponse(new OAuthError('invalid_request', 'The request is malformed; send a form-encoded POST body.'));
  }
  log.error({ err: error }, 'OAuth request failed');
  return oauthErrorResponse(new OAuthError('server_error', 'An unexpected error occurred; retry later.'));
}

/** POST to a token path: the token, or the error that refused it. */
export async function tokenEndpoint(ctx: ServerContext, request: OAuthHttpRequest): Promise<OAuthHttpResponse> {
  try {
    const params = formParams(request);
    const userAgent = typeof request.userAgent === 'string' ? request.userAgent.slice(0, 512) : null;
    const issued = await handleTokenRequest(ctx, {
      params,
      authorization: request.authorization,
      dpopProofs: dpopProofs(request.dpop),
      endpointUrl: `${ctx.config.issuer}${request.path}`,
      sourceIp: request.sourceIp,
      userAgent,
      log: request.log,
    });
    const body = { access_token: issued.accessToken, token_type: issued.tokenType, expires_in: issued.expiresIn, scope: issued.scope };
    return success(body, { 'cache-control': 'no-store', pragma: 'no-cache' });
  } catch (error) {
    return failureResponse(error, request.log);
  }
}

/** POST /oauth/introspect: RFC 7662 introspection, or the error that refused it. */
export async function introspectionEndpoint(ctx: ServerContext, request: OAuthHttpRequest): Promise<OAuthHttpResponse> {
  try {
    const result = await introspect(ctx, formParams(request), request.authorization, request.sourceIp);
    return success(result, { 'cache-control': 'no-store' }, result.active === true);
  } catch (error) {
    return failureResponse(error, request.log);
  }
}

/** POST /oauth/revoke: an empty 200 for every token (RFC 7009), or the error that refused the caller. */
export async function revocationEndpoint(ctx: ServerContext, request: OAuthHttpRequest): Promise<OAuthHttpResponse> {
  try {
    const userAgent = typeof request.userAgent === 'string' ? request.userAgent.slice(0, 512) : null;
    await revoke(ctx, formParams(request), request.authorization, { ip: request.sourceIp, userAgent });
    return success(undefined, { 'cache-control': 'no-store' });
  } catch (error) {
    return failureResponse(error, request.log);
  }
}
