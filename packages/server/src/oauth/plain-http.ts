import type { IncomingMessage, ServerResponse } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { Logger } from 'pino';
import type { ServerContext } from '../context.js';
import { REQUEST_ID_HEADER, requestIdFor } from '../request-id.js';
import {
  INTROSPECTION_PATH,
  OAUTH_BODY_LIMIT,
  type OAuthHttpRequest,
  type OAuthHttpResponse,
  TOKEN_PATHS,
  introspectionEndpoint,
  isFormContentType,
  recordIntrospection,
  tokenEndpoint,
} from './endpoints.js';

/** Handles a request that it takes and returns true, or returns false and leaves the request to Fastify. */
export type PlainHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

interface Endpoint {
  serve(ctx: ServerContext, request: OAuthHttpRequest): Promise<OAuthHttpResponse>;
  record(ctx: ServerContext, response: OAuthHttpResponse, elapsedMs: number): void;
}

const token: Endpoint = {
  serve: tokenEndpoint,
  record: (ctx, response, elapsedMs) => ctx.metrics.oauth.recordToken(response.status, response.oauthError, elapsedMs),
};

const introspection: Endpoint = {
  serve: introspectionEndpoint,
  record: recordIntrospection,
};

const ENDPOINTS = new Map<string | undefined, Endpoint>([...TOKEN_PATHS.map((path) => [path, token] as const), [INTROSPECTION_PATH, introspection]]);

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * A request's logger, whose child with the request's id is made only when a line is logged.
 * A class rather than closures, because tsx names every closure as it is made, which costs
 * CPU on each request.
 */
class RequestLog {
  private child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly requestId: string,
  ) {}

  private logger(): Logger {
    return (this.child ??= this.parent.child({ reqId: this.requestId }));
  }

  error(...args: Parameters<Logger['error']>): void {
    this.logger().error(...args);
  }

  warn(...args: Parameters<Logger['warn']>): void {
    this.logger().warn(...args);
  }
}

/** Sends a response with its headers in the order Fastify's reply sends them, so the order does not tell the paths apart. */
function write(response: ServerResponse, requestId: string, answer: OAuthHttpResponse): void {
  const payload = answer.body === undefined ? '' : JSON.stringify(answer.body);
  const headers: Record<string, string | number> = { [REQUEST_ID_HEADER]: requestId, ...answer.headers };
  if (answer.body !== undefined) headers['content-type'] = JSON_TYPE;
  headers['content-length'] = Buffer.byteLength(payload);
  response.writeHead(answer.status, headers);
  response.end(payload);
}

/** One request taken by the plain path, while its body arrives. */
interface Exchange {
  handler: PlainOAuthHandler;
  endpoint: Endpoint;
  response: ServerResponse;
  startedAt: number;
  body: string;
}

const EXCHANGE = Symbol('tessera.oauthExchange');
type TakenRequest = IncomingMessage & { [EXCHANGE]: Exchange };

// Listeners shared by every request, with the request as `this`, so that none is made per request.
function appendChunk(this: TakenRequest, chunk: string): void {
  this[EXCHANGE].body += chunk;
}

function bodyComplete(this: TakenRequest): void {
  const exchange = this[EXCHANGE];
  void exchange.handler.serve(this, exchange);
}

/**
 * Serves well-formed POST requests to the token and introspection endpoints straight from
 * node:http, ahead of Fastify, whose routing, hooks and reply objects cost more CPU per token
 * than the rest of the request apart from the signature. It takes only a request with an
 * exact path, a form Content-Type and a Content-Length within the body limit, which both
 * paths handle alike. Everything else, including every malformed
 * request, goes to Fastify's routes. `isClosing` hands requests to Fastify once the server
 * is closing, so that they get its 503.
 */
class PlainOAuthHandler {
  private readonly trust: ((address: string, hop: number) => boolean) | null;

  constructor(
    private readonly ctx: ServerContext,
    private readonly isClosing: () => boolean,
  ) {
    const { trustedProxies } = ctx.config;
    this.trust = trustedProxies.length > 0 ? proxyAddr.compile(trustedProxies) : null;
  }

  take(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'POST') return false;
    const endpoint = ENDPOINTS.get(request.url);
    if (endpoint === undefined || this.isClosing()) return false;

    const { headers } = request;
    const length = headers['content-length'];
    if (length === undefined || headers['transfer-encoding'] !== undefined || !(Number(length) <= OAUTH_BODY_LIMIT)) return false;
    if (!isFormContentType(headers['content-type'])) return false;

    (request as TakenRequest)[EXCHANGE] = { handler: this, endpoint, response, startedAt: performance.now(), body: '' };
    request.setEncoding('utf8');
    request.on('data', appendChunk);
    request.on('end', bodyComplete);
    return true;
  }

  async serve(request: IncomingMessage, { endpoint, response, startedAt, body }: Exchange): Promise<void> {
    try {
      const requestId = requestIdFor(request);
      const { headers } = request;
      const answer = await endpoint.serve(this.ctx, {
        path: request.url!,
        contentType: headers['content-type'],
        body,
        authorization: headers.authorization,
        dpop: request.headersDistinct.dpop,
        userAgent: headers['user-agent'],
        sourceIp: this.clientIp(request),
        log: new RequestLog(this.ctx.logger, requestId),
      });
      write(response, requestId, answer);
      endpoint.record(this.ctx, answer, performance.now() - startedAt);
    } catch (error) {
      // The endpoints turn their own failures into responses, so this is a failure to write one.
      this.ctx.logger.error({ err: error }, 'sending the response to an OAuth request failed');
      response.destroy();
    }
  }

  /**
   * The same client address as Fastify's request.ip with the server's trustProxy setting and
   * the hook in app.ts that reads another header than X-Forwarded-For.
   */
  private clientIp(request: IncomingMessage): string {
    if (this.trust === null) return request.socket.remoteAddress ?? '';
    const { clientIpHeader } = this.ctx.config;
    if (clientIpHeader !== 'x-forwarded-for') {
      const value = request.headers[clientIpHeader];
      delete request.headers['x-forwarded-for'];
      if (typeof value === 'string') request.headers['x-forwarded-for'] = value;
    }
    return proxyAddr(request, this.trust);
  }
}

export function plainOAuthHandler(ctx: ServerContext, isClosing: () => boolean): PlainHandler {
  const handler = new PlainOAuthHandler(ctx, isClosing);
  return (request, response) => handler.take(request, response);
}
