import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { type CreatedAccount, type TestServer, createAccount, ensureInstance, startTestServer } from './support/server.js';

describe('real OAuth clients against Tessera', () => {
  let server: TestServer;
  let account: CreatedAccount;
  const audience = 'https://jira.example.com';

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira', 'jira', audience);
    account = await createAccount(server, {
      name: 'ci-exporter',
      access: [{ instance: 'jira', scopes: ['WRITE'], resources: { project: ['ABC', 'DEF'] } }],
    });
  });

  after(() => server.close());

  async function verifyAccessToken(token: string) {
    const jwks = createRemoteJWKSet(new URL(`${server.baseUrl}/oauth/jwks`));
    return jwtVerify(token, jwks, { issuer: server.baseUrl, audience, typ: 'at+jwt', algorithms: ['ES256'] });
  }

  it('openid-client gets a token with client_secret_post', async () => {
    const config = await client.discovery(new URL(server.baseUrl), account.clientId, undefined, client.ClientSecretPost(account.clientSecret), {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
    });
    const response = await client.clientCredentialsGrant(config, { scope: 'READ' });

    assert.equal(response.token_type.toLowerCase(), 'bearer');
    assert.equal(response.scope, 'READ');
    assert.equal(response.expires_in, 3600);
    assert.equal(response.refresh_token, undefined);

    const { payload, protectedHeader } = await verifyAccessToken(response.access_token);
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(protectedHeader.alg, 'ES256');
    assert.ok(protectedHeader.kid);
    assert.equal(payload.sub, account.id);
    assert.equal(payload.client_id, account.clientId);
    assert.equal(payload.scope, 'READ');
    assert.equal(payload.credential_id, account.credentialId);
    assert.deepEqual(payload.resources, { project: ['ABC', 'DEF'] });
    assert.equal(typeof payload.jti, 'string');
    assert.equal((payload.exp as number) - (payload.iat as number), 3600);
  });

  it('openid-client gets a token with client_secret_basic', async () => {
    const config = await client.discovery(new URL(server.baseUrl), account.clientId, undefined, client.ClientSecretBasic(account.clientSecret), {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
    });
    const response = await client.clientCredentialsGrant(config, { resource: audience });

    assert.equal(response.scope, 'WRITE');
    const { payload } = await verifyAccessToken(response.access_token);
    assert.equal(payload.aud, audience);
  });

  it('openid-client sees a Basic challenge for a wrong secret', async () => {
    const config = await client.discovery(new URL(server.baseUrl), account.clientId, undefined, client.ClientSecretBasic('tss_wrong'), {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
    });
    // openid-client reports a 401 that carries WWW-Authenticate as a challenge error.
    await assert.rejects(client.clientCredentialsGrant(config), (error: any) => {
      assert.equal(error.code, 'OAUTH_WWW_AUTHENTICATE_CHALLENGE');
      assert.equal(error.status, 401);
      assert.equal(error.cause[0].scheme, 'basic');
      return true;
    });
  });

  it('oauth4webapi gets a token and introspects it', async () => {
    const issuer = new URL(server.baseUrl);
    const discovered = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true });
    const as = await oauth.processDiscoveryResponse(issuer, discovered);
    const oauthClient: oauth.Client = { client_id: account.clientId };
    const auth = oauth.ClientSecretBasic(account.clientSecret);

    const tokenResponse = await oauth.clientCredentialsGrantRequest(as, oauthClient, auth, { scope: 'read:issue' }, { [oauth.allowInsecureRequests]: true });
    const token = await oauth.processClientCredentialsResponse(as, oauthClient, tokenResponse);
    assert.equal(token.scope, 'read:issue');

    const introspection = await oauth.introspectionRequest(as, oauthClient, auth, token.access_token, { [oauth.allowInsecureRequests]: true });
    const result = await oauth.processIntrospectionResponse(as, oauthClient, introspection);
    assert.equal(result.active, true);
    assert.equal(result.client_id, account.clientId);
    assert.equal(result.sub, account.id);
    assert.equal(result.scope, 'read:issue');
  });

  it('jose rejects a token checked for another audience', async () => {
    const config = await client.discovery(new URL(server.baseUrl), account.clientId, undefined, client.ClientSecretPost(account.clientSecret), {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
    });
    const response = await client.clientCredentialsGrant(config);
    const jwks = createRemoteJWKSet(new URL(`${server.baseUrl}/oauth/jwks`));

    await assert.rejects(jwtVerify(response.access_token, jwks, { issuer: server.baseUrl, audience: 'https://confluence.example.com', typ: 'at+jwt' }), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
  });

  it('metadata names the endpoints and methods', async () => {
    const response = await fetch(`${server.baseUrl}/.well-known/oauth-authorization-server`);
    const metadata = await response.json();

    assert.equal(response.status, 200);
    assert.equal(metadata.issuer, server.baseUrl);
    assert.equal(metadata.token_endpoint, `${server.baseUrl}/oauth/token`);
    assert.equal(metadata.jwks_uri, `${server.baseUrl}/oauth/jwks`);
    assert.equal(metadata.introspection_endpoint, `${server.baseUrl}/oauth/introspect`);
    assert.equal(metadata.revocation_endpoint, `${server.baseUrl}/oauth/revoke`);
    assert.deepEqual(metadata.grant_types_supported, ['client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer']);
    assert.deepEqual(metadata.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
    assert.deepEqual(metadata.token_endpoint_auth_signing_alg_values_supported, ['ES256', 'RS256', 'PS256', 'EdDSA', 'Ed25519']);
    assert.deepEqual(metadata.introspection_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post']);
  });

  it('JWKS publishes public keys only', async () => {
    const response = await fetch(`${server.baseUrl}/oauth/jwks`);
    const { keys } = await response.json();

    assert.equal(keys.length, 1);
    assert.equal(keys[0].kty, 'EC');
    assert.equal(keys[0].crv, 'P-256');
    assert.equal(keys[0].d, undefined);
    assert.deepEqual(Object.keys(keys[0]).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });
});
