import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { type OidcConfig, parseOidcConfig } from '../../src/oidc/config.js';

export const TEST_CLIENT_ID = 'tessera-panel';
export const TEST_CLIENT_SECRET = 'test-client-secret-of-at-least-32-chars';

export const TEST_ROLE_MAP = {
  'tessera-admins': 'admin',
  'tessera-auditors': 'auditor',
  'jira-admins': { role: 'instance-admin', instances: ['jira'] },
};

/** A user of the test identity provider; the login name is the `sub`. */
export interface TestUser {
  groups: string[];
  preferred_username?: string;
  email?: string;
}

/**
 * A real OpenID provider (oidc-provider 8.8.1) on 127.0.0.1 with one confidential client. Its
 * development login form accepts any password for the users in `users`, and consent is
 * granted without asking, as for a first-party client.
 */
export interface TestIdentityProvider {
  issuer: string;
  users: Map<string, TestUser>;
  /** Creates the provider with Tessera's redirect URI, which is known only once Tessera listens. */
  registerClient(redirectUri: string): Promise<void>;
  /** The Tessera OIDC configuration for this provider; `env` adds or overrides TESSERA_OIDC_* values. */
  oidcConfig(env?: Record<string, string>): OidcConfig;
  close(): Promise<void>;
}

export async function startIdentityProvider(users: Record<string, TestUser>): Promise<TestIdentityProvider> {
  let handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  const server: Server = createServer((request, response) => {
    if (handler) return handler(request, response);
    response.writeHead(503).end('the test identity provider has no client yet');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const userMap = new Map(Object.entries(users));

  const registerClient = async (redirectUri: string) => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const provider = new Provider(issuer, {
      clients: [{ client_id: TEST_CLIENT_ID, client_secret: TEST_CLIENT_SECRET, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
      jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' }] },
      cookies: { keys: ['test-identity-provider-cookie-key'] },
      claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email'], groups: ['groups'] },
      features: { devInteractions: { enabled: true } },
      pkce: { methods: ['S256'], required: () => true },
      ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 3600, IdToken: 600, Interaction: 600, Session: 3600 },
      async findAccount(_ctx: unknown, id: string) {
        const user = userMap.get(id);
        if (!user) return undefined;
        return { accountId: id, claims: async () => ({ sub: id, ...user, groups: [...user.groups] }) };
      },
      // Grants every requested scope without a consent screen.
      async loadExistingGrant(ctx: any) {
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
        grant.addOIDCScope(ctx.oidc.params.scope);
        await grant.save();
        return grant;
      },
    });
    // The development login page imports a web font from the internet; tests touch nothing but loopback.
    provider.use(async (ctx, next) => {
      await next();
      if (typeof ctx.body === 'string' && ctx.type.startsWith('text/html')) ctx.body = ctx.body.replace(/@import url\([^)]*\);/g, '');
    });
    handler = provider.callback();
  };

  return {
    issuer,
    users: userMap,
    registerClient,
    oidcConfig: (env = {}) =>
      parseOidcConfig({
        TESSERA_OIDC_ISSUER: issuer,
        TESSERA_OIDC_CLIENT_ID: TEST_CLIENT_ID,
        TESSERA_OIDC_CLIENT_SECRET: TEST_CLIENT_SECRET,
        TESSERA_OIDC_SCOPES: 'openid profile email groups',
        TESSERA_OIDC_ROLE_MAP: JSON.stringify(TEST_ROLE_MAP),
        TESSERA_OIDC_DISPLAY_NAME: 'Test IdP',
        ...env,
      })!,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
