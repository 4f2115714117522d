import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type CryptoKey, decodeJwt, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { subjectMatches } from '../src/federation/rules.js';
import { assertProblem } from './support/problem.js';
import { AdminClient, type HttpResult, type TestServer, basicAuth, createAccount, ensureInstance, introspect, postForm, requestToken, startTestServer } from './support/server.js';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const PUBLIC_MESSAGE = 'The assertion was not accepted: no trusted workload identity matches its issuer, signature, audience, subject and lifetime.';

/**
 * A workload identity issuer on 127.0.0.1, like a CI system's: every first path segment is
 * an issuer of its own (http://127.0.0.1:port/<name>) with an OpenID configuration and a JWKS.
 */
class IssuerServer {
  private server: Server | undefined;
  base = '';
  privateKey!: CryptoKey;
  keys: JWK[] = [];
  requests: string[] = [];

  async start(): Promise<void> {
    const pair = await generateKeyPair('RS256', { extractable: true });
    this.privateKey = pair.privateKey;
    this.keys = [{ ...(await exportJWK(pair.publicKey)), kid: 'ci-key-1', alg: 'RS256', use: 'sig' }];

    this.server = createServer((request, response) => {
      const path = request.url ?? '';
      this.requests.push(path);
      const match = /^\/([a-z0-9-]+)\/(\.well-known\/openid-configuration|jwks)$/.exec(path);
      if (!match) {
        response.writeHead(404).end();
        return;
      }
      const issuer = `${this.base}/${match[1]}`;
      const body = match[2] === 'jwks' ? { keys: this.keys } : { issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'] };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  issuer(name: string): string {
    return `${this.base}/${name}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

describe('federation: jwt-bearer grant with workload identity tokens', () => {
  let server: TestServer;
  let tokenUrl: string;
  const idp = new IssuerServer();
  let accounts = 0;
  let issuers = 0;

  before(async () => {
    await idp.start();
    server = await startTestServer({ config: { allowInsecureJwksUrls: true } });
    await ensureInstance(server, 'jira', 'jira', 'https://jira.example.com');
    await ensureInstance(server, 'wiki', 'confluence', 'https://wiki.example.com');
    tokenUrl = `${server.baseUrl}/oauth/token`;
  });

  after(async () => {
    await server.close();
    await idp.stop();
  });

  function serverNow(): number {
    return Math.floor(server.clock.now() / 1000);
  }

  /** A fresh issuer name, so that each test's rules are the only ones for its issuer. */
  function newIssuer(): string {
    return idp.issuer(`ci-${++issuers}`);
  }

  async function newAccount(access: unknown[] = [{ instance: 'jira', scopes: ['WRITE'], resources: { project: ['OPS'] } }]) {
    return createAccount(server, { name: `workload-${++accounts}`, access });
  }

  async function trust(accountId: string, rule: Record<string, unknown>) {
    const created = await server.admin.post(`/service-accounts/${accountId}/federations`, rule);
    assert.equal(created.status, 201, created.text);
    return created.body;
  }

  /** Signs a token as the outside issuer would, GitHub Actions style. */
  function outsideToken(issuer: string, claims: JWTPayload = {}, header: Record<string, unknown> = {}, key: CryptoKey = idp.privateKey): Promise<string> {
    const now = serverNow();
    return new SignJWT({
      iss: issuer,
      sub: 'repo:acme/app:ref:refs/heads/main',
      aud: 'https://tessera.example.com',
      jti: randomUUID(),
      iat: now,
      nbf: now,
      exp: now + 300,
      repository_owner: 'acme',
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'ci-key-1', typ: 'JWT', ...header })
      .sign(key);
  }

  function exchange(assertion: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<HttpResult> {
    return postForm(tokenUrl, { grant_type: JWT_BEARER, assertion, ...extra }, headers);
  }

  async function newestRefusal() {
    const result = await server.admin.get('/audit-events?action=token.refused&limit=1');
    return result.body.items[0];
  }

  async function assertRefused(result: HttpResult, reason: string, accountId?: string, federationId?: string) {
    assert.equal(result.status, 400, result.text);
    assert.equal(result.body.error, 'invalid_grant');
    assert.equal(result.body.error_description, PUBLIC_MESSAGE);
    const event = await newestRefusal();
    assert.equal(event.reason, reason);
    assert.equal(event.details.grantType, JWT_BEARER);
    assert.equal(event.actor.type, accountId ? 'service_account' : 'anonymous');
    assert.equal(event.actor.id, accountId ?? null);
    assert.equal(event.details.federationId, federationId);
    return event;
  }

  /** An account trusting a fresh issuer for main-branch workflows of any acme repository. */
  async function trustedAccount(extra: Record<string, unknown> = {}) {
    const issuer = newIssuer();
    const account = await newAccount();
    const federation = await trust(account.id, { issuer, subjectPattern: 'repo:acme/*:ref:refs/heads/main', audience: 'https://tessera.example.com', claims: { repository_owner: 'acme' }, ...extra });
    return { issuer, account, federation };
  }

  it('issues a token with the claims of a client-credentials token, and audits it', async () => {
    const { issuer, account, federation } = await trustedAccount();
    assert.equal(federation.status, 'active');
    assert.equal(federation.jwksUrl, null);

    const result = await exchange(await outsideToken(issuer), { scope: 'READ' });
    assert.equal(result.status, 200, result.text);
    assert.equal(result.body.token_type, 'Bearer');
    assert.equal(result.body.scope, 'READ');

    const claims = decodeJwt(result.body.access_token);
    const viaSecret = decodeJwt((await requestToken(server, account)).body.access_token);
    assert.deepEqual(Object.keys(claims).sort(), Object.keys(viaSecret).sort());
    assert.equal(claims.sub, account.id);
    assert.equal(claims.client_id, account.clientId);
    assert.equal(claims.credential_id, federation.id);
    assert.equal(claims.aud, 'https://jira.example.com');
    assert.deepEqual(claims.resources, { project: ['OPS'] });

    const issued = (await server.admin.get(`/audit-events?account=${account.id}&action=token.issued&limit=2`)).body.items.find((event: any) => event.details.authMethod === 'jwt_bearer');
    assert.equal(issued.actor.type, 'service_account');
    assert.equal(issued.actor.id, account.id);
    assert.equal(issued.actor.credentialId, null);
    assert.equal(issued.details.federationId, federation.id);
    assert.equal(issued.details.issuer, issuer);
    assert.equal(issued.details.subject, 'repo:acme/app:ref:refs/heads/main');

    const view = await server.admin.get(`/service-accounts/${account.id}/federations/${federation.id}`);
    assert.ok(view.body.lastUsedAt);
    assert.equal(view.body.lastUsedIp, '127.0.0.1');
    assert.ok((await server.admin.get(`/service-accounts/${account.id}`)).body.lastUsedAt);

    const active = await introspect(server, account, result.body.access_token);
    assert.equal(active.body.active, true);
    assert.equal(active.body.credential_id, federation.id);

    // The configuration and the key set came from the issuer, once each.
    assert.ok(idp.requests.includes(`/${issuer.split('/').at(-1)}/.well-known/openid-configuration`));
  });

  it('works with oauth4webapi as a generic grant, and with an explicit jwksUrl', async () => {
    const issuer = newIssuer();
    const account = await newAccount();
    await trust(account.id, { issuer, jwksUrl: `${issuer}/jwks`, subject: 'system:serviceaccount:ci:deployer', audience: 'tessera' });

    const as = await oauth.processDiscoveryResponse(new URL(server.baseUrl), await oauth.discoveryRequest(new URL(server.baseUrl), { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }));
    assert.ok(as.grant_types_supported?.includes(JWT_BEARER));
    const client: oauth.Client = { client_id: account.clientId };
    const assertion = await outsideToken(issuer, { sub: 'system:serviceaccount:ci:deployer', aud: ['tessera', 'other'] });

    const response = await oauth.genericTokenEndpointRequest(as, client, oauth.None(), JWT_BEARER, new URLSearchParams({ assertion, resource: 'https://jira.example.com' }), { [oauth.allowInsecureRequests]: true });
    const token = await oauth.processGenericTokenEndpointResponse(as, client, response);
    assert.equal(token.scope, 'WRITE');
  });

  it('selects the grant by resource like any token request', async () => {
    const issuer = newIssuer();
    const account = await newAccount([
      { instance: 'jira', scopes: ['READ'] },
      { instance: 'wiki', scopes: ['WRITE'] },
    ]);
    await trust(account.id, { issuer, subject: 'repo:acme/app:ref:refs/heads/main', audience: 'https://tessera.example.com' });

    const missing = await exchange(await outsideToken(issuer));
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_target');
    const wiki = await exchange(await outsideToken(issuer), { resource: 'https://wiki.example.com', scope: 'READ' });
    assert.equal(wiki.status, 200, wiki.text);
    assert.equal(decodeJwt(wiki.body.access_token).aud, 'https://wiki.example.com');
  });

  it('refuses a token from an issuer nobody trusts', async () => {
    await trustedAccount();
    const event = await assertRefused(await exchange(await outsideToken(idp.issuer('unknown-ci'))), 'federation_untrusted_issuer');
    assert.equal(event.details.issuer, idp.issuer('unknown-ci'));
  });

  it('refuses a token for another audience', async () => {
    const { issuer, account, federation } = await trustedAccount();
    await assertRefused(await exchange(await outsideToken(issuer, { aud: 'https://elsewhere.example.com' })), 'assertion_wrong_audience', account.id, federation.id);
  });

  it('refuses a subject that does not match the pattern', async () => {
    const { issuer, account, federation } = await trustedAccount();
    for (const sub of ['repo:acme/app:ref:refs/heads/feature', 'repo:evil/app:ref:refs/heads/main', 'repo:acme/app:pull_request', 'repo:acme/app:x:ref:refs/heads/main']) {
      const event = await assertRefused(await exchange(await outsideToken(issuer, { sub })), 'federation_subject_mismatch', account.id, federation.id);
      assert.equal(event.details.subject, sub);
    }
  });

  it('refuses a token whose extra claims differ', async () => {
    const { issuer, account, federation } = await trustedAccount();
    await assertRefused(await exchange(await outsideToken(issuer, { repository_owner: 'evil' })), 'federation_claim_mismatch', account.id, federation.id);
    await assertRefused(await exchange(await outsideToken(issuer, { repository_owner: undefined })), 'federation_claim_mismatch', account.id, federation.id);
  });

  it('refuses an expired token, one without exp, and ones too long-lived or too old', async () => {
    const { issuer, account, federation } = await trustedAccount();
    const now = serverNow();
    await assertRefused(await exchange(await outsideToken(issuer, { iat: now - 600, nbf: now - 600, exp: now - 60 })), 'assertion_expired', account.id, federation.id);
    await assertRefused(await exchange(await outsideToken(issuer, { exp: undefined })), 'assertion_missing_exp', account.id, federation.id);
    await assertRefused(await exchange(await outsideToken(issuer, { exp: now + 3 * 86_400 })), 'assertion_lifetime_too_long', account.id, federation.id);
    await assertRefused(await exchange(await outsideToken(issuer, { iat: now - 2 * 86_400, nbf: now - 2 * 86_400 })), 'assertion_too_old', account.id, federation.id);
    await assertRefused(await exchange(await outsideToken(issuer, { nbf: now + 600 })), 'assertion_not_yet_valid', account.id, federation.id);
  });

  it('refuses a bad signature, an unknown key, and alg none or HS256', async () => {
    const { issuer, account, federation } = await trustedAccount();
    const stranger = (await generateKeyPair('RS256')).privateKey;
    await assertRefused(await exchange(await outsideToken(issuer, {}, {}, stranger)), 'assertion_bad_signature', account.id, federation.id);
    await assertRefused(await exchange(await outsideToken(issuer, {}, { kid: 'not-published' }, stranger)), 'assertion_key_unknown', account.id, federation.id);

    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = serverNow();
    const claims = { iss: issuer, sub: 'repo:acme/app:ref:refs/heads/main', aud: 'https://tessera.example.com', exp: now + 60, repository_owner: 'acme' };
    await assertRefused(await exchange(`${encode({ alg: 'none' })}.${encode(claims)}.`), 'assertion_alg_not_allowed');
    const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('shared-secret-shared-secret-32by'));
    await assertRefused(await exchange(hs256), 'assertion_alg_not_allowed');
    await assertRefused(await exchange('not-a-jwt'), 'assertion_malformed');
  });

  it('refuses a replayed jti, and allows reuse of a token without one', async () => {
    const { issuer, account, federation } = await trustedAccount();
    const token = await outsideToken(issuer);
    assert.equal((await exchange(token)).status, 200);
    await assertRefused(await exchange(token), 'assertion_replayed', account.id, federation.id);

    const noJti = await outsideToken(issuer, { jti: undefined });
    assert.equal((await exchange(noJti)).status, 200);
    assert.equal((await exchange(noJti)).status, 200);
  });

  it('denies after the federation is revoked, and turns its tokens inactive', async () => {
    const { issuer, account, federation } = await trustedAccount();
    const issued = await exchange(await outsideToken(issuer));
    assert.equal(issued.status, 200);

    const revoked = await server.admin.delete(`/service-accounts/${account.id}/federations/${federation.id}`);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.status, 'revoked');
    assert.ok(revoked.body.revokedAt);
    assert.equal((await server.admin.delete(`/service-accounts/${account.id}/federations/${federation.id}`)).body.revokedAt, revoked.body.revokedAt);

    await assertRefused(await exchange(await outsideToken(issuer)), 'federation_revoked', account.id, federation.id);
    assert.equal((await introspect(server, account, issued.body.access_token)).body.active, false);

    const events = await server.admin.get(`/audit-events?account=${account.id}&action=federation.*`);
    assert.deepEqual(events.body.items.map((event: any) => event.action), ['federation.revoked', 'federation.created']);
    assert.equal(events.body.items[0].target.id, federation.id);
    assert.equal(events.body.items[1].details.subjectPattern, 'repo:acme/*:ref:refs/heads/main');

    // Guards that verify tokens locally learn of it from the revocation feed.
    const listing = await fetch(`${server.baseUrl}/guard/v1/revocations?since=0`, { headers: { authorization: basicAuth(account.clientId, account.clientSecret) } });
    const entries = (await listing.json()).items as any[];
    assert.ok(entries.some((entry) => entry.kind === 'credential' && entry.credentialId === federation.id));
  });

  it('denies a disabled account', async () => {
    const { issuer, account, federation } = await trustedAccount();
    assert.equal((await server.admin.patch(`/service-accounts/${account.id}`, { status: 'disabled' })).status, 200);
    await assertRefused(await exchange(await outsideToken(issuer)), 'account_disabled', account.id, federation.id);
  });

  it("applies the account's IP allowlist and rate limit to federated requests", async () => {
    const { issuer, account, federation } = await trustedAccount();
    assert.equal((await server.admin.patch(`/service-accounts/${account.id}`, { ipAllowlist: ['203.0.113.0/24'] })).status, 200);
    const refused = await exchange(await outsideToken(issuer));
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.body.error, 'access_denied');
    const event = await newestRefusal();
    assert.equal(event.reason, 'ip_not_allowed');
    assert.equal(event.actor.id, account.id);
    assert.equal(event.actor.credentialId, null);
    assert.equal(event.details.federationId, federation.id);

    assert.equal((await server.admin.patch(`/service-accounts/${account.id}`, { ipAllowlist: ['127.0.0.1/32'], rateLimit: { perMinute: 1, mode: 'enforce' } })).status, 200);
    assert.equal((await exchange(await outsideToken(issuer))).status, 200);
    const limited = await exchange(await outsideToken(issuer));
    assert.equal(limited.status, 429, limited.text);
    assert.equal(limited.body.error, 'slow_down');
  });

  it('binds a federated token to a DPoP key, and requires one for a DPoP-bound account', async () => {
    const { issuer, account } = await trustedAccount();
    assert.equal((await server.admin.patch(`/service-accounts/${account.id}`, { dpopBound: true })).status, 200);
    const unbound = await exchange(await outsideToken(issuer));
    assert.equal(unbound.status, 400);
    assert.equal(unbound.body.error, 'invalid_dpop_proof');

    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const proof = await new SignJWT({ htm: 'POST', htu: tokenUrl, jti: randomUUID(), iat: serverNow() })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(publicKey) })
      .sign(privateKey);
    const bound = await exchange(await outsideToken(issuer), {}, { dpop: proof });
    assert.equal(bound.status, 200, bound.text);
    assert.equal(bound.body.token_type, 'DPoP');
    assert.ok((decodeJwt(bound.body.access_token).cnf as { jkt: string }).jkt);
  });

  it('lets an instance-admin manage only the federations of accounts on its instances', async () => {
    const created = await server.admin.post('/admins', { username: 'jira-admin', password: 'a-long-enough-password', role: 'instance-admin', instances: ['jira'] });
    assert.equal(created.status, 201, created.text);
    const jiraAdmin = new AdminClient(server.baseUrl);
    assert.equal((await jiraAdmin.signIn('jira-admin', 'a-long-enough-password')).status, 200);

    const rule = { issuer: newIssuer(), subject: 'repo:acme/app:ref:refs/heads/main', audience: 'https://tessera.example.com' };
    const jiraAccount = await newAccount();
    const wikiAccount = await newAccount([{ instance: 'wiki', scopes: ['READ'] }]);

    const own = await jiraAdmin.post(`/service-accounts/${jiraAccount.id}/federations`, rule);
    assert.equal(own.status, 201, own.text);
    assert.equal((await jiraAdmin.get(`/service-accounts/${jiraAccount.id}/federations`)).status, 200);
    assertProblem(await jiraAdmin.post(`/service-accounts/${wikiAccount.id}/federations`, { ...rule, subject: 'other' }), 403, 'forbidden');
    assertProblem(await jiraAdmin.get(`/service-accounts/${wikiAccount.id}/federations`), 403, 'forbidden');

    const wikiRule = await trust(wikiAccount.id, { ...rule, subject: 'repo:acme/wiki:ref:refs/heads/main' });
    assertProblem(await jiraAdmin.delete(`/service-accounts/${wikiAccount.id}/federations/${wikiRule.id}`), 403, 'forbidden');
    // A twin of another account's rule is refused without naming that rule.
    const twin = await jiraAdmin.post(`/service-accounts/${jiraAccount.id}/federations`, { ...rule, subject: 'repo:acme/wiki:ref:refs/heads/main' });
    assertProblem(twin, 409, 'federation_exists');
    assert.doesNotMatch(twin.body.detail, new RegExp(wikiRule.id));
    assert.equal((await jiraAdmin.delete(`/service-accounts/${jiraAccount.id}/federations/${own.body.id}`)).status, 200);

    const auditor = await server.admin.post('/admins', { username: 'fed-auditor', password: 'a-long-enough-password', role: 'auditor' });
    assert.equal(auditor.status, 201);
    const auditorClient = new AdminClient(server.baseUrl);
    await auditorClient.signIn('fed-auditor', 'a-long-enough-password');
    assert.equal((await auditorClient.get(`/service-accounts/${wikiAccount.id}/federations`)).status, 200);
    assertProblem(await auditorClient.post(`/service-accounts/${wikiAccount.id}/federations`, { ...rule, subject: 'auditor-try' }), 403, 'forbidden');
  });

  it('refuses an ambiguous token that rules of two accounts accept', async () => {
    const issuer = newIssuer();
    const first = await newAccount();
    const second = await newAccount();
    const exact = await trust(first.id, { issuer, subject: 'repo:acme/app:ref:refs/heads/main', audience: 'https://tessera.example.com' });
    const pattern = await trust(second.id, { issuer, subjectPattern: 'repo:acme/*:ref:refs/heads/*', audience: 'https://tessera.example.com' });

    const event = await assertRefused(await exchange(await outsideToken(issuer)), 'federation_ambiguous');
    assert.deepEqual(event.details.federationIds.sort(), [exact.id, pattern.id].sort());
    assert.deepEqual(event.details.accountIds.sort(), [first.id, second.id].sort());

    // A subject only the pattern accepts is not ambiguous.
    const other = await exchange(await outsideToken(issuer, { sub: 'repo:acme/lib:ref:refs/heads/main' }));
    assert.equal(other.status, 200, other.text);
    assert.equal(decodeJwt(other.body.access_token).sub, second.id);
  });

  it('takes no client authentication, and checks a client_id when one is sent', async () => {
    const { issuer, account, federation } = await trustedAccount();
    const withBasic = await exchange(await outsideToken(issuer), {}, { authorization: basicAuth(account.clientId, account.clientSecret) });
    assert.equal(withBasic.status, 400);
    assert.equal(withBasic.body.error, 'invalid_request');
    const withSecret = await exchange(await outsideToken(issuer), { client_id: account.clientId, client_secret: account.clientSecret });
    assert.equal(withSecret.body.error, 'invalid_request');

    const missing = await postForm(tokenUrl, { grant_type: JWT_BEARER });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_request');
    assert.match(missing.body.error_description, /assertion/);

    const mismatch = await exchange(await outsideToken(issuer), { client_id: 'tsc_someone-else' });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.error, 'invalid_grant');
    const event = await newestRefusal();
    assert.equal(event.reason, 'client_id_mismatch');
    assert.equal(event.details.federationId, federation.id);
  });

  it('matches subject patterns anchored, with * inside one colon-separated field', () => {
    const pattern = 'repo:acme/*:ref:refs/heads/main';
    assert.ok(subjectMatches(pattern, 'repo:acme/app:ref:refs/heads/main'));
    assert.ok(subjectMatches(pattern, 'repo:acme/:ref:refs/heads/main'));
    assert.ok(!subjectMatches(pattern, 'repo:acme/app:ref:refs/heads/main2'));
    assert.ok(!subjectMatches(pattern, 'xrepo:acme/app:ref:refs/heads/main'));
    assert.ok(!subjectMatches(pattern, 'repo:acme/a:b:ref:refs/heads/main'));
    assert.ok(subjectMatches('repo:acme/*:ref:refs/heads/*', 'repo:acme/app:ref:refs/heads/feature/x'));
    assert.ok(subjectMatches('repo:acme/app-*-svc:*', 'repo:acme/app-billing-svc:pull_request'));
    assert.ok(!subjectMatches('repo:acme/app-*-svc:*', 'repo:acme/app-billing:pull_request'));
    assert.ok(subjectMatches('spiffe://example.org/ns/*/sa/deployer', 'spiffe://example.org/ns/prod/sa/deployer'));
    assert.ok(!subjectMatches('a?c:[x]', 'abc:x'), '? and [ are literal');
    assert.ok(subjectMatches('a?c:[x]', 'a?c:[x]'));
    // Linear time, even for patterns built to make a backtracking matcher slow.
    const started = Date.now();
    assert.ok(!subjectMatches(`${'*a'.repeat(200)}b`, 'a'.repeat(5000)));
    assert.ok(Date.now() - started < 1000);
  });

  describe('admin API', () => {
    let accountId: string;
    const issuer = 'https://token.actions.githubusercontent.com';

    before(async () => {
      accountId = (await newAccount()).id;
    });

    const valid = { issuer, subject: 'repo:acme/app:ref:refs/heads/main', audience: 'https://tessera.example.com' };

    it('creates, lists, reads and revokes a federation, auditing each change', async () => {
      const created = await server.admin.post(`/service-accounts/${accountId}/federations`, { ...valid, claims: { environment: 'prod' } });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(Object.keys(created.body).sort(), ['accountId', 'audience', 'claims', 'createdAt', 'id', 'issuer', 'jwksUrl', 'lastUsedAt', 'lastUsedIp', 'revokedAt', 'status', 'subject', 'subjectPattern']);
      assert.deepEqual(created.body.claims, { environment: 'prod' });

      const list = await server.admin.get(`/service-accounts/${accountId}/federations`);
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.items.map((item: any) => item.id), [created.body.id]);

      const event = (await server.admin.get(`/audit-events?target=${created.body.id}`)).body.items[0];
      assert.equal(event.action, 'federation.created');
      assert.equal(event.actor.type, 'admin');
      assert.equal(event.details.issuer, issuer);

      const revoked = await server.admin.delete(`/service-accounts/${accountId}/federations/${created.body.id}`);
      assert.equal(revoked.body.status, 'revoked');
      // A revoked rule no longer blocks an identical new one.
      assert.equal((await server.admin.post(`/service-accounts/${accountId}/federations`, { ...valid, claims: { environment: 'prod' } })).status, 201);
    });

    it('refuses a live duplicate of a rule, on any account', async () => {
      await trust(accountId, { ...valid, subject: 'repo:acme/dup:ref:refs/heads/main' });
      const other = await newAccount();
      assertProblem(await server.admin.post(`/service-accounts/${other.id}/federations`, { ...valid, subject: 'repo:acme/dup:ref:refs/heads/main' }), 409, 'federation_exists');
    });

    it('answers 404 for an unknown account or federation', async () => {
      assertProblem(await server.admin.post('/service-accounts/nope/federations', valid), 404, 'not_found');
      assertProblem(await server.admin.get(`/service-accounts/${accountId}/federations/nope`), 404, 'not_found');
      assertProblem(await server.admin.delete(`/service-accounts/${accountId}/federations/nope`), 404, 'not_found');
    });

    const invalid: Array<[string, Record<string, unknown>, string, RegExp?]> = [
      ['no issuer', { subject: 'x', audience: 'a' }, 'issuer'],
      ['no audience', { issuer, subject: 'x' }, 'audience'],
      ['an empty audience', { issuer, subject: 'x', audience: '' }, 'audience'],
      ['an issuer that is not a URL', { ...valid, issuer: 'github' }, 'issuer', /absolute https URL/],
      ['an http issuer', { ...valid, issuer: 'http://ci.example.com' }, 'issuer', /https/],
      ['an issuer with a query', { ...valid, issuer: 'https://ci.example.com/?tenant=1' }, 'issuer', /query/],
      ['an http jwksUrl', { ...valid, jwksUrl: 'http://ci.example.com/jwks' }, 'jwksUrl', /https/],
      ['both subject and subjectPattern', { ...valid, subjectPattern: 'repo:*' }, 'subjectPattern', /exactly one/],
      ['neither subject nor subjectPattern', { issuer, audience: 'a' }, 'subject', /exactly one/],
      ['a pattern without *', { issuer, audience: 'a', subjectPattern: 'repo:acme/app' }, 'subjectPattern', /send it as subject/],
      ['a pattern that matches everything', { issuer, audience: 'a', subjectPattern: '*:*' }, 'subjectPattern', /fixed text/],
      ['a subject with a control character', { ...valid, subject: 'repo\nx' }, 'subject', /control/],
      ['a reserved claim', { ...valid, claims: { sub: 'x' } }, 'claims.sub', /cannot be set/],
      ['a claim that is not a string', { ...valid, claims: { run_attempt: 1 } }, 'claims.run_attempt', /string/],
      ['an unknown field', { ...valid, name: 'x' }, 'name'],
    ];
    for (const [what, body, field, detail] of invalid) {
      it(`rejects ${what}`, async () => {
        const result = await server.admin.post(`/service-accounts/${accountId}/federations`, body);
        assertProblem(result, 400, 'validation_failed', field);
        if (detail) assert.match(result.body.detail, detail);
      });
    }

    it('is documented in the OpenAPI document', async () => {
      const document = await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json();
      assert.ok(document.paths['/api/v1/service-accounts/{id}/federations'].post);
      assert.ok(document.paths['/api/v1/service-accounts/{id}/federations/{federationId}'].delete);
    });
  });
});
