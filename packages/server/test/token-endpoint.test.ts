import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CreatedAccount, type TestServer, basicAuth, createAccount, ensureInstance, postForm, requestToken, startTestServer } from './support/server.js';

describe('token endpoint strict parsing', () => {
  let server: TestServer;
  let account: CreatedAccount;
  let tokenUrl: string;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: 'parser-probe', access: [{ instance: 'jira', scopes: ['READ'] }] });
    tokenUrl = `${server.baseUrl}/oauth/token`;
  });

  after(() => server.close());

  function assertOAuthError(result: { status: number; headers: Headers; body: any }, status: number, error: string) {
    assert.equal(result.status, status);
    assert.equal(result.body.error, error);
    assert.equal(typeof result.body.error_description, 'string');
    assert.equal(result.headers.get('cache-control'), 'no-store');
    assert.match(result.headers.get('content-type') ?? '', /^application\/json/);
  }

  it('issues a token with no-store headers', async () => {
    const result = await requestToken(server, account);

    assert.equal(result.status, 200);
    assert.equal(result.headers.get('cache-control'), 'no-store');
    assert.equal(result.headers.get('pragma'), 'no-cache');
    assert.deepEqual(Object.keys(result.body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(result.body.token_type, 'Bearer');
  });

  it('serves the Data Center token alias', async () => {
    const result = await postForm(`${server.baseUrl}/rest/oauth2/latest/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(account.clientId, account.clientSecret) });

    assert.equal(result.status, 200);
    assert.equal(result.body.scope, 'READ');
  });

  it('rejects a repeated parameter', async () => {
    const result = await postForm(tokenUrl, 'grant_type=client_credentials&scope=READ&scope=READ', { authorization: basicAuth(account.clientId, account.clientSecret) });

    assertOAuthError(result, 400, 'invalid_request');
    assert.match(result.body.error_description, /"scope" appears more than once/);
  });

  it('rejects a repeated grant_type', async () => {
    const result = await postForm(tokenUrl, 'grant_type=client_credentials&grant_type=client_credentials', { authorization: basicAuth(account.clientId, account.clientSecret) });

    assertOAuthError(result, 400, 'invalid_request');
  });

  it('rejects two client authentication methods', async () => {
    const result = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret },
      { authorization: basicAuth(account.clientId, account.clientSecret) },
    );

    assertOAuthError(result, 400, 'invalid_request');
    assert.match(result.body.error_description, /two client authentication methods/);
  });

  it('rejects a missing grant_type', async () => {
    const result = await postForm(tokenUrl, {}, { authorization: basicAuth(account.clientId, account.clientSecret) });

    assertOAuthError(result, 400, 'invalid_request');
    assert.match(result.body.error_description, /grant_type/);
  });

  it('rejects an unknown grant_type', async () => {
    const result = await postForm(tokenUrl, { grant_type: 'password' }, { authorization: basicAuth(account.clientId, account.clientSecret) });

    assertOAuthError(result, 400, 'unsupported_grant_type');
  });

  for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
    it(`answers ${method} with 405`, async () => {
      const response = await fetch(tokenUrl, { method });
      const body = await response.json();

      assert.equal(response.status, 405);
      assert.equal(response.headers.get('allow'), 'POST');
      assert.equal(body.error, 'invalid_request');
    });
  }

  it('rejects a JSON content type', async () => {
    const response = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(account.clientId, account.clientSecret) },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    const body = await response.json();

    assert.equal(response.status, 400);
    assert.equal(body.error, 'invalid_request');
    assert.match(body.error_description, /application\/x-www-form-urlencoded/);
  });

  it('rejects a body without content type', async () => {
    const response = await fetch(tokenUrl, { method: 'POST', headers: { authorization: basicAuth(account.clientId, account.clientSecret) } });
    const body = await response.json();

    assert.equal(response.status, 400);
    assert.equal(body.error, 'invalid_request');
  });

  it('answers an oversized body with 413', async () => {
    const result = await postForm(tokenUrl, `grant_type=client_credentials&padding=${'a'.repeat(20_000)}`, { authorization: basicAuth(account.clientId, account.clientSecret) });

    assertOAuthError(result, 413, 'invalid_request');
  });

  it('answers a wrong secret with a Basic challenge', async () => {
    const result = await requestToken(server, { clientId: account.clientId, clientSecret: 'tss_not-the-secret' });

    assertOAuthError(result, 401, 'invalid_client');
    assert.equal(result.headers.get('www-authenticate'), 'Basic realm="tessera", charset="UTF-8"');
  });

  it('answers unknown client and wrong secret alike', async () => {
    const wrongSecret = await requestToken(server, { clientId: account.clientId, clientSecret: 'tss_wrong' });
    const unknownClient = await requestToken(server, { clientId: 'tsc_doesnotexist', clientSecret: 'tss_wrong' });

    assert.equal(unknownClient.status, wrongSecret.status);
    assert.deepEqual(unknownClient.body, wrongSecret.body);
    assert.equal(unknownClient.headers.get('www-authenticate'), wrongSecret.headers.get('www-authenticate'));
  });

  it('answers a wrong post secret without challenge', async () => {
    const result = await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: account.clientId, client_secret: 'tss_wrong' });

    assertOAuthError(result, 401, 'invalid_client');
    assert.equal(result.headers.get('www-authenticate'), null);
  });

  it('rejects a request without client authentication', async () => {
    const result = await postForm(tokenUrl, { grant_type: 'client_credentials' });

    assertOAuthError(result, 401, 'invalid_client');
  });

  it('rejects a malformed Basic header', async () => {
    const result = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: 'Basic !!!' });

    assertOAuthError(result, 401, 'invalid_client');
    assert.equal(result.headers.get('www-authenticate'), 'Basic realm="tessera", charset="UTF-8"');
  });

  it('decodes form-encoded Basic credentials', async () => {
    // RFC 6749 §2.3.1 form-encodes the id and secret before Base64, so "%5F" stands for "_".
    const encodedId = account.clientId.replace('_', '%5F');
    const basic = `Basic ${Buffer.from(`${encodedId}:${account.clientSecret.replace('_', '%5F')}`).toString('base64')}`;

    const result = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic });

    assert.equal(result.status, 200);
  });

  it('rejects invalid percent-encoding in Basic credentials', async () => {
    const basic = `Basic ${Buffer.from(`${account.clientId}%zz:${account.clientSecret}`).toString('base64')}`;

    const result = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic });

    assertOAuthError(result, 401, 'invalid_client');
  });

  it('accepts client_secret_post', async () => {
    const result = await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret });

    assert.equal(result.status, 200);
    assert.equal(result.body.scope, 'READ');
  });
});

describe('token endpoint scope and resource rules', () => {
  let server: TestServer;
  let single: CreatedAccount;
  let several: CreatedAccount;
  let noGrants: CreatedAccount;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
    await ensureInstance(server, 'bitbucket', 'bitbucket', 'https://git.example.com/');
    single = await createAccount(server, { name: 'single', access: [{ instance: 'jira', scopes: ['WRITE'], resources: { project: '*' } }] });
    several = await createAccount(server, {
      name: 'several',
      access: [
        { instance: 'jira', scopes: ['READ'], resources: { project: ['OPS'] } },
        { instance: 'bitbucket', scopes: ['REPO_WRITE'], resources: { repository: ['tools'] } },
      ],
    });
    noGrants = await createAccount(server, { name: 'no-grants' });
  });

  after(() => server.close());

  it('grants all scopes when scope is absent', async () => {
    const result = await requestToken(server, single);

    assert.equal(result.status, 200);
    assert.equal(result.body.scope, 'WRITE');
  });

  it('grants an implied narrower scope', async () => {
    const result = await requestToken(server, single, { scope: 'READ write:issue' });

    assert.equal(result.status, 200);
    assert.equal(result.body.scope, 'READ write:issue');
  });

  it('rejects an ungranted scope', async () => {
    const result = await requestToken(server, several, { scope: 'WRITE', resource: 'https://jira.example.com' });

    assert.equal(result.status, 400);
    assert.equal(result.body.error, 'invalid_scope');
  });

  it('rejects an unknown scope', async () => {
    const result = await requestToken(server, single, { scope: 'delete:everything' });

    assert.equal(result.status, 400);
    assert.equal(result.body.error, 'invalid_scope');
  });

  it('rejects a blank scope list', async () => {
    const result = await requestToken(server, single, { scope: '   ' });

    assert.equal(result.status, 400);
    assert.equal(result.body.error, 'invalid_scope');
  });

  it('requires resource with several grants', async () => {
    const result = await requestToken(server, several);

    assert.equal(result.status, 400);
    assert.equal(result.body.error, 'invalid_target');
    assert.match(result.body.error_description, /resource parameter/);
  });

  it('picks the instance named by resource', async () => {
    const result = await requestToken(server, several, { resource: 'https://git.example.com' });
    const claims = JSON.parse(Buffer.from(result.body.access_token.split('.')[1], 'base64url').toString());

    assert.equal(result.status, 200);
    assert.equal(result.body.scope, 'REPO_WRITE');
    assert.equal(claims.aud, 'https://git.example.com');
    assert.equal(claims.instance, 'bitbucket');
    assert.deepEqual(claims.resources, { repository: ['tools'] });
  });

  it('ignores a trailing slash on resource', async () => {
    const result = await requestToken(server, several, { resource: 'https://jira.example.com/' });

    assert.equal(result.status, 200);
    assert.equal(result.body.scope, 'READ');
  });

  it('matches resource scheme and host case-insensitively', async () => {
    const result = await requestToken(server, several, { resource: 'HTTPS://JIRA.EXAMPLE.COM:443' });

    assert.equal(result.status, 200);
    assert.equal(result.body.scope, 'READ');
  });

  it('rejects an unknown resource', async () => {
    const result = await requestToken(server, single, { resource: 'https://unknown.example.com' });

    assert.equal(result.status, 400);
    assert.equal(result.body.error, 'invalid_target');
  });

  it('rejects an ungranted resource', async () => {
    const result = await requestToken(server, single, { resource: 'https://git.example.com' });

    assert.equal(result.status, 400);
    assert.equal(result.body.error, 'invalid_target');
  });

  it('rejects a relative resource', async () => {
    const result = await requestToken(server, single, { resource: '/relative' });

    assert.equal(result.status, 400);
    assert.equal(result.body.error, 'invalid_target');
  });

  it('rejects two resources', async () => {
    const result = await postForm(`${server.baseUrl}/oauth/token`, 'grant_type=client_credentials&resource=https%3A%2F%2Fjira.example.com&resource=https%3A%2F%2Fgit.example.com', {
      authorization: basicAuth(several.clientId, several.clientSecret),
    });

    assert.equal(result.status, 400);
    assert.equal(result.body.error, 'invalid_target');
  });

  it('rejects an account without grants', async () => {
    const result = await requestToken(server, noGrants);

    assert.equal(result.status, 400);
    assert.equal(result.body.error, 'invalid_target');
  });
});

describe('token endpoint throttling', () => {
  let server: TestServer;
  let account: CreatedAccount;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: 'throttled', access: [{ instance: 'jira', scopes: ['READ'] }] });
  });

  after(() => server.close());

  it('throttles repeated failures per client', async () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const failed = await requestToken(server, { clientId: account.clientId, clientSecret: 'tss_wrong' });
      assert.equal(failed.status, 401);
    }

    const throttled = await requestToken(server, account);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.body.error, 'slow_down');
    assert.equal(throttled.headers.get('retry-after'), '60');
    const [throttledEvent] = (await server.admin.get('/audit-events?action=token.refused&limit=1')).body.items;
    assert.equal(throttledEvent.reason, 'throttled');
    assert.equal(throttledEvent.actor.id, account.id);

    server.clock.advance(61_000);
    const recovered = await requestToken(server, account);
    assert.equal(recovered.status, 200);
  });
});
