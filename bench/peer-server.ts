/**
 * Starts oidc-provider 8.8.1, the peer that the token benchmark compares Tessera with, and
 * prints `{"url": "http://127.0.0.1:PORT"}` as the first line on stdout. The server binds
 * 127.0.0.1 on a free port and issues client credentials tokens: ES256-signed JWTs for
 * PEER_JWT_RESOURCE and opaque tokens, resolved by its introspection endpoint, for
 * PEER_OPAQUE_RESOURCE. The signing key is a P-256 key generated at start.
 *
 * Both clients use the secret from PEER_CLIENT_SECRET, which the parent sets. The provider
 * keeps tokens in its default in-memory adapter, so nothing it issues is written to disk.
 * Its start-up notices and warnings are silenced. Errors that it catches while handling a
 * request are counted and the first one is logged to stderr.
 *
 * The process stops on SIGTERM or SIGINT, when its stdin closes (the parent exited), or
 * after MAX_LIFETIME_MS.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import {
  PEER_BASIC_CLIENT_ID,
  PEER_JWT_RESOURCE,
  PEER_OPAQUE_RESOURCE,
  PEER_POST_CLIENT_ID,
  PEER_SCOPE,
  PEER_TOKEN_LIFETIME_SECONDS,
} from './peer-settings.js';

const MAX_LIFETIME_MS = 15 * 60 * 1000;

/** The parts of oidc-provider 8.8.1 used here, because the package ships no type declarations. */
interface OidcProviderModule {
  default: new (issuer: string, configuration: Record<string, unknown>) => {
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    on(event: 'server_error', listener: (ctx: unknown, error: Error) => void): void;
  };
  errors: { InvalidTarget: new () => Error };
}

const clientSecret = process.env.PEER_CLIENT_SECRET;
if (!clientSecret) {
  console.error('PEER_CLIENT_SECRET is missing. Start this server through bench/token-throughput.ts, which sets it, or set it yourself.');
  process.exit(2);
}

// oidc-provider prints its notices with console.info, which would write to stdout before the
// address line, and its warnings with console.warn. Both are development advice, such as
// "use a persistent adapter", so they are dropped. Swapping console's methods before the
// import is needed because the Node.js version check runs when the module loads.
console.info = () => {};
console.warn = () => {};
const { default: Provider, errors } = (await import('oidc-provider')) as unknown as OidcProviderModule;

const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'bench-es256', alg: 'ES256', use: 'sig' };

const server = createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// The client default for ID tokens is RS256, which the provider rejects when its only key is a P-256 key.
const client = { client_secret: clientSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], id_token_signed_response_alg: 'ES256' };
const provider = new Provider(issuer, {
  clients: [
    { ...client, client_id: PEER_BASIC_CLIENT_ID, token_endpoint_auth_method: 'client_secret_basic' },
    { ...client, client_id: PEER_POST_CLIENT_ID, token_endpoint_auth_method: 'client_secret_post' },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [clientSecret] },
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => PEER_JWT_RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo(_ctx: unknown, resourceIndicator: string) {
        const common = { scope: PEER_SCOPE, audience: resourceIndicator, accessTokenTTL: PEER_TOKEN_LIFETIME_SECONDS };
        if (resourceIndicator === PEER_JWT_RESOURCE) return { ...common, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
        if (resourceIndicator === PEER_OPAQUE_RESOURCE) return { ...common, accessTokenFormat: 'opaque' };
        throw new errors.InvalidTarget();
      },
    },
  },
});

let serverErrors = 0;
provider.on('server_error', (_ctx: unknown, error: Error) => {
  serverErrors += 1;
  if (serverErrors === 1) console.error('oidc-provider failed to handle a request; later errors are only counted:', error);
});
server.on('request', provider.callback());

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  if (serverErrors > 1) console.error(`oidc-provider failed to handle ${serverErrors} requests in total`);
  server.closeAllConnections();
  server.close(() => process.exit(0));
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
setTimeout(() => {
  console.error(`the benchmark peer server ran for ${MAX_LIFETIME_MS / 60_000} minutes and stops by itself`);
  stop();
}, MAX_LIFETIME_MS).unref();

process.stdout.write(`${JSON.stringify({ url: issuer })}\n`);
