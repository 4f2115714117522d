import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from './support/problem.js';
import { type CreatedAccount, type TestServer, basicAuth, createAccount, ensureInstance, postForm, requestToken, startTestServer } from './support/server.js';

const MINUTE_MS = 60_000;

async function lastEvent(server: TestServer, action: string) {
  const events = await server.admin.get(`/audit-events?action=${action}&limit=1`);
  assert.equal(events.status, 200);
  return events.body.items[0];
}

function tokenFrom(server: TestServer, account: CreatedAccount, headers: Record<string, string>) {
  return postForm(`${server.baseUrl}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(account.clientId, account.clientSecret), ...headers });
}

describe('account guardrail fields', () => {
  let server: TestServer;
  let counter = 0;
  const name = () => `guarded-${++counter}`;

  before(async () => {
    server = await startTestServer();
  });

  after(() => server.close());

  it('are stored, normalised and shown', async () => {
    const account = await createAccount(server, {
      name: name(),
      purpose: 'Nightly export of issues to the data warehouse',
      contacts: [
        { type: 'email', address: 'data-team@example.com' },
        { type: 'webhook', url: 'https://hooks.example.com/tessera#ignored' },
      ],
      reviewDate: '2027-06-30',
      ipAllowlist: ['203.0.113.0/24', '2001:db8::1'],
      rateLimit: { perMinute: 10 },
      dpopBound: true,
    });
    const view = (await server.admin.get(`/service-accounts/${account.id}`)).body;
    assert.equal(view.purpose, 'Nightly export of issues to the data warehouse');
    assert.deepEqual(view.contacts, [
      { type: 'email', address: 'data-team@example.com' },
      { type: 'webhook', url: 'https://hooks.example.com/tessera' },
    ]);
    assert.equal(view.reviewDate, '2027-06-30');
    assert.deepEqual(view.ipAllowlist, ['203.0.113.0/24', '2001:db8::1/128']);
    assert.deepEqual(view.rateLimit, { perMinute: 10, perDay: null, mode: 'enforce' });
    assert.equal(view.dpopBound, true);
    assert.equal(view.dormantSince, null);

    const cleared = await server.admin.patch(`/service-accounts/${account.id}`, { ipAllowlist: null, rateLimit: null, reviewDate: null, contacts: [] });
    assert.equal(cleared.status, 200, cleared.text);
    assert.equal(cleared.body.ipAllowlist, null);
    assert.equal(cleared.body.rateLimit, null);
    assert.equal(cleared.body.reviewDate, null);
    assert.deepEqual(cleared.body.contacts, []);
    assert.equal(cleared.body.purpose, 'Nightly export of issues to the data warehouse', 'fields left out keep their value');

    const event = await lastEvent(server, 'account.updated');
    assert.deepEqual(event.details.before.ipAllowlist, ['203.0.113.0/24', '2001:db8::1/128']);
    assert.equal(event.details.after.ipAllowlist, null);
  });

  it('new accounts have none by default', async () => {
    const account = await createAccount(server, { name: name() });
    assert.equal(account.body.purpose, '');
    assert.deepEqual(account.body.contacts, []);
    assert.equal(account.body.ipAllowlist, null);
    assert.equal(account.body.rateLimit, null);
    assert.equal(account.body.dpopBound, false);
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['email without a domain', { contacts: [{ type: 'email', address: 'ops' }] }, 'contacts[0].address'],
    ['email contact with a url', { contacts: [{ type: 'email', address: 'a@example.com', url: 'https://x.example.com' }] }, 'contacts[0]'],
    ['webhook without a url', { contacts: [{ type: 'webhook' }] }, 'contacts[0]'],
    ['webhook over ftp', { contacts: [{ type: 'webhook', url: 'ftp://files.example.com/hook' }] }, 'contacts[0].url'],
    ['webhook with a password', { contacts: [{ type: 'webhook', url: 'https://user:pw@hooks.example.com/' }] }, 'contacts[0].url'],
    ['relative webhook url', { contacts: [{ type: 'webhook', url: '/hook' }] }, 'contacts[0].url'],
    ['repeated contact', { contacts: [{ type: 'email', address: 'a@example.com' }, { type: 'email', address: 'A@example.com' }] }, 'contacts[1]'],
    ['unknown contact type', { contacts: [{ type: 'sms', address: '+100' }] }, 'contacts[0].type'],
    ['IPv4 prefix too long', { ipAllowlist: ['10.0.0.0/33'] }, 'ipAllowlist[0]'],
    ['IPv6 prefix too long', { ipAllowlist: ['2001:db8::/129'] }, 'ipAllowlist[0]'],
    ['host name in allowlist', { ipAllowlist: ['ci.example.com'] }, 'ipAllowlist[0]'],
    ['empty allowlist', { ipAllowlist: [] }, 'ipAllowlist'],
    ['impossible review date', { reviewDate: '2027-02-30' }, 'reviewDate'],
    ['review date with time', { reviewDate: '2027-02-01T00:00:00Z' }, 'reviewDate'],
    ['rate limit without numbers', { rateLimit: {} }, 'rateLimit'],
    ['day limit below minute limit', { rateLimit: { perMinute: 100, perDay: 10 } }, 'rateLimit.perDay'],
    // The field may also be null, so the schema reports the whole object, with the accepted forms.
    ['unknown rate limit mode', { rateLimit: { perMinute: 1, mode: 'warn' } }, 'rateLimit'],
    ['dpopBound as text', { dpopBound: 'yes' }, 'dpopBound'],
  ];
  for (const [label, body, field] of invalid) {
    it(`rejects ${label}`, async () => {
      const account = await createAccount(server, { name: name() });
      const result = await server.admin.patch(`/service-accounts/${account.id}`, body);
      assertProblem(result, 400, 'validation_failed', field);

      const unchanged = await server.admin.get(`/service-accounts/${account.id}`);
      assert.equal(unchanged.body.updatedAt, account.body.updatedAt, 'a rejected update writes nothing');

      const created = await server.admin.post('/service-accounts', { name: name(), ...body });
      assert.equal(created.status, 400, `creating with ${label} is rejected too`);
    });
  }
});

describe('IP allowlist at the token endpoint', () => {
  let server: TestServer;
  let counter = 0;
  const name = () => `allowlisted-${++counter}`;

  before(async () => {
    // Loopback is the trusted proxy, so each request can name its client address in X-Forwarded-For.
    server = await startTestServer({ config: { trustedProxies: ['127.0.0.1/32', '::1/128'] } });
    await ensureInstance(server, 'jira');
  });

  after(() => server.close());

  it('admits IPv4 and IPv6 sources inside the list', async () => {
    const account = await createAccount(server, { name: name(), access: [{ instance: 'jira', scopes: ['READ'] }], ipAllowlist: ['203.0.113.0/24', '2001:db8::/32'] });

    assert.equal((await tokenFrom(server, account, { 'x-forwarded-for': '203.0.113.7' })).status, 200);
    assert.equal((await tokenFrom(server, account, { 'x-forwarded-for': '2001:db8:1::5' })).status, 200);
    // The proxy appends the address it saw; anything the client wrote before it is not believed.
    assert.equal((await tokenFrom(server, account, { 'x-forwarded-for': '203.0.113.9, 198.51.100.1' })).status, 403);
  });

  it('refuses and audits a source outside the list', async () => {
    const account = await createAccount(server, { name: name(), access: [{ instance: 'jira', scopes: ['READ'] }], ipAllowlist: ['203.0.113.0/24'] });

    for (const address of ['198.51.100.1', '2001:db8::9']) {
      const refused = await tokenFrom(server, account, { 'x-forwarded-for': address });
      assert.equal(refused.status, 403);
      assert.equal(refused.headers.get('cache-control'), 'no-store');
      assert.deepEqual(refused.body, { error: 'access_denied', error_description: "This client may not request tokens from this network address; ask an admin to add it to the account's IP allowlist." });

      const event = await lastEvent(server, 'token.refused');
      assert.equal(event.reason, 'ip_not_allowed');
      assert.equal(event.source.ip, address);
      assert.equal(event.actor.id, account.id);
      assert.equal(event.actor.credentialId, account.credentialId);
    }
  });

  it('policy default applies to accounts without their own list', async () => {
    const plain = await createAccount(server, { name: name(), access: [{ instance: 'jira', scopes: ['READ'] }] });
    const own = await createAccount(server, { name: name(), access: [{ instance: 'jira', scopes: ['READ'] }], ipAllowlist: ['198.51.100.0/24'] });

    const policy = await server.admin.put('/policy', { network: { defaultIpAllowlist: ['10.0.0.0/8'] } });
    assert.equal(policy.status, 200, policy.text);
    try {
      assert.equal((await tokenFrom(server, plain, { 'x-forwarded-for': '10.20.30.40' })).status, 200);
      assert.equal((await tokenFrom(server, plain, { 'x-forwarded-for': '198.51.100.1' })).status, 403);
      // The account's own list replaces the default rather than adding to it.
      assert.equal((await tokenFrom(server, own, { 'x-forwarded-for': '198.51.100.1' })).status, 200);
      assert.equal((await tokenFrom(server, own, { 'x-forwarded-for': '10.20.30.40' })).status, 403);
    } finally {
      await server.admin.put('/policy', {});
    }
  });

  it('allows the account to be edited back', async () => {
    const account = await createAccount(server, { name: name(), access: [{ instance: 'jira', scopes: ['READ'] }], ipAllowlist: ['203.0.113.0/24'] });
    assert.equal((await tokenFrom(server, account, { 'x-forwarded-for': '198.51.100.1' })).status, 403);
    await server.admin.patch(`/service-accounts/${account.id}`, { ipAllowlist: null });
    assert.equal((await tokenFrom(server, account, { 'x-forwarded-for': '198.51.100.1' })).status, 200);
  });
});

describe('client address behind proxies', () => {
  it('ignores X-Forwarded-For without a trusted proxy', async () => {
    const server = await startTestServer();
    try {
      await ensureInstance(server, 'jira');
      const account = await createAccount(server, { name: 'direct', access: [{ instance: 'jira', scopes: ['READ'] }], ipAllowlist: ['203.0.113.0/24'] });
      const refused = await tokenFrom(server, account, { 'x-forwarded-for': '203.0.113.7' });
      assert.equal(refused.status, 403);
      assert.equal((await lastEvent(server, 'token.refused')).source.ip, '127.0.0.1');
    } finally {
      await server.close();
    }
  });

  it('reads a configured header and drops a client X-Forwarded-For', async () => {
    const server = await startTestServer({ config: { trustedProxies: ['127.0.0.1/32'], clientIpHeader: 'x-real-ip' } });
    try {
      await ensureInstance(server, 'jira');
      const account = await createAccount(server, { name: 'proxied', access: [{ instance: 'jira', scopes: ['READ'] }], ipAllowlist: ['203.0.113.0/24'] });
      assert.equal((await tokenFrom(server, account, { 'x-real-ip': '203.0.113.7' })).status, 200);
      assert.equal((await tokenFrom(server, account, { 'x-forwarded-for': '203.0.113.7' })).status, 403);
      assert.equal((await lastEvent(server, 'token.refused')).source.ip, '127.0.0.1');
    } finally {
      await server.close();
    }
  });
});

describe('rate limits at the token endpoint', () => {
  let server: TestServer;
  let counter = 0;
  const name = () => `limited-${++counter}`;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
  });

  after(() => server.close());

  it('enforces tokens per minute with Retry-After', async () => {
    // Start at a known offset into the minute, so that Retry-After has an exact value.
    server.clock.set(Math.ceil(server.clock.now() / MINUTE_MS) * MINUTE_MS + 15_000);
    await server.admin.signIn();
    const account = await createAccount(server, { name: name(), access: [{ instance: 'jira', scopes: ['READ'] }], rateLimit: { perMinute: 3 } });

    for (let i = 0; i < 3; i++) assert.equal((await requestToken(server, account)).status, 200);
    const limited = await requestToken(server, account);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '45');
    assert.deepEqual(limited.body, { error: 'slow_down', error_description: 'This client may request 3 per minute tokens; retry after 45 seconds.' });

    const event = await lastEvent(server, 'token.refused');
    assert.equal(event.reason, 'rate_limited:perMinute');
    assert.equal(event.actor.id, account.id);

    server.clock.advance(45_000);
    assert.equal((await requestToken(server, account)).status, 200, 'the next minute has room again');
  });

  it('enforces tokens per day', async () => {
    const account = await createAccount(server, { name: name(), access: [{ instance: 'jira', scopes: ['READ'] }], rateLimit: { perDay: 2 } });
    assert.equal((await requestToken(server, account)).status, 200);
    server.clock.advance(2 * MINUTE_MS);
    assert.equal((await requestToken(server, account)).status, 200);
    server.clock.advance(2 * MINUTE_MS);

    const limited = await requestToken(server, account);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal((await lastEvent(server, 'token.refused')).reason, 'rate_limited:perDay');
  });

  it('log-only mode issues the token and records the excess', async () => {
    const account = await createAccount(server, { name: name(), access: [{ instance: 'jira', scopes: ['READ'] }], rateLimit: { perMinute: 1, mode: 'log_only' } });

    const first = await requestToken(server, account);
    assert.equal(first.status, 200);
    assert.equal((await lastEvent(server, 'token.issued')).details.rateLimitExceeded, undefined);

    const second = await requestToken(server, account);
    assert.equal(second.status, 200);
    const event = await lastEvent(server, 'token.issued');
    assert.equal(event.actor.id, account.id);
    assert.equal(event.details.rateLimitExceeded, 'perMinute');
  });

  it('limits one account, not its neighbours', async () => {
    const limited = await createAccount(server, { name: name(), access: [{ instance: 'jira', scopes: ['READ'] }], rateLimit: { perMinute: 1 } });
    const free = await createAccount(server, { name: name(), access: [{ instance: 'jira', scopes: ['READ'] }] });

    assert.equal((await requestToken(server, limited)).status, 200);
    assert.equal((await requestToken(server, limited)).status, 429);
    for (let i = 0; i < 5; i++) assert.equal((await requestToken(server, free)).status, 200);
  });
});

describe('requiring DPoP for an account', () => {
  it('ends bearer tokens issued before', async () => {
    const server = await startTestServer();
    try {
      await ensureInstance(server, 'jira');
      const product = await createAccount(server, { name: 'jira-product', access: [{ instance: 'jira', scopes: ['READ'] }] });
      const account = await createAccount(server, { name: 'soon-bound', access: [{ instance: 'jira', scopes: ['READ'] }] });
      const token = (await requestToken(server, account)).body.access_token;

      const bound = await server.admin.patch(`/service-accounts/${account.id}`, { dpopBound: true });
      assert.equal(bound.status, 200, bound.text);

      const introspected = await postForm(`${server.baseUrl}/oauth/introspect`, { token }, { authorization: basicAuth(product.clientId, product.clientSecret) });
      assert.deepEqual(introspected.body, { active: false });
    } finally {
      await server.close();
    }
  });
});
