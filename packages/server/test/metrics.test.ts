import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { scrape, sample, value } from './support/metrics.js';
import { assertProblem } from './support/problem.js';
import { WebhookReceiver, waitFor } from './support/sink-receivers.js';
import { type CreatedAccount, type HttpResult, TEST_DIALECT, type TestServer, createAccount, ensureInstance, introspect, requestToken, startTestServer } from './support/server.js';

const ISSUED = { outcome: 'issued', error: '' };
const INVALID_CLIENT = { outcome: 'refused', error: 'invalid_client' };
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

async function readProblem(response: Response): Promise<HttpResult> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text), text };
}

describe('metrics', () => {
  let server: TestServer;
  let account: CreatedAccount;

  before(async () => {
    server = await startTestServer();
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: 'scraped', access: [{ instance: 'jira', scopes: ['READ'] }] });
  });

  after(() => server.close());

  it('counts issued tokens and their latency', async () => {
    const before = await scrape(server);

    for (let i = 0; i < 3; i += 1) assert.equal((await requestToken(server, account)).status, 200);
    const afterwards = await scrape(server);

    assert.equal(value(afterwards, 'tessera_token_requests_total', ISSUED) - value(before, 'tessera_token_requests_total', ISSUED), 3);
    assert.equal(
      value(afterwards, 'tessera_token_request_duration_seconds_count', { outcome: 'issued' }) - (sample(before, 'tessera_token_request_duration_seconds_count', { outcome: 'issued' }) ?? 0),
      3,
    );
    assert.ok(value(afterwards, 'tessera_token_request_duration_seconds_sum', { outcome: 'issued' }) > 0);
  });

  it('counts refusals by OAuth error code', async () => {
    const before = await scrape(server);

    const refused = await requestToken(server, { clientId: account.clientId, clientSecret: `${account.clientSecret}x` });
    const afterwards = await scrape(server);

    assert.equal(refused.status, 401);
    assert.equal(value(afterwards, 'tessera_token_requests_total', INVALID_CLIENT) - value(before, 'tessera_token_requests_total', INVALID_CLIENT), 1);
    assert.equal(value(afterwards, 'tessera_token_requests_total', ISSUED), value(before, 'tessera_token_requests_total', ISSUED));
    assert.equal(value(afterwards, 'tessera_token_requests_total', { outcome: 'refused', error: 'invalid_scope' }), 0);
  });

  it('never labels a series with a client id', async () => {
    const text = await scrape(server);

    assert.ok(!text.includes(account.clientId), 'the metrics name a client id');
    assert.ok(!text.includes(account.id), 'the metrics name an account id');
  });

  it('counts introspection by outcome', async () => {
    const token = (await requestToken(server, account)).body.access_token;
    const before = await scrape(server);

    assert.equal((await introspect(server, account, token)).body.active, true);
    assert.equal((await introspect(server, account, 'not-a-token')).body.active, false);
    const afterwards = await scrape(server);

    const delta = (labels: Record<string, string>) => value(afterwards, 'tessera_introspection_requests_total', labels) - value(before, 'tessera_introspection_requests_total', labels);
    assert.equal(delta({ outcome: 'active', error: '' }), 1);
    assert.equal(delta({ outcome: 'inactive', error: '' }), 1);
    assert.equal(value(afterwards, 'tessera_introspection_request_duration_seconds_count') - value(before, 'tessera_introspection_request_duration_seconds_count'), 2);
  });

  it('counts admin API requests by route template', async () => {
    const list = { method: 'GET', route: '/api/v1/service-accounts', status_class: '2xx' };
    const one = { method: 'GET', route: '/api/v1/service-accounts/:id', status_class: '4xx' };
    const before = await scrape(server);

    assert.equal((await server.admin.get('/service-accounts')).status, 200);
    assert.equal((await server.admin.get('/service-accounts/no-such-account')).status, 404);
    assert.equal((await server.admin.get('/no-such-route/abc')).status, 404);
    const afterwards = await scrape(server);

    assert.equal(value(afterwards, 'tessera_admin_api_requests_total', list) - (sample(before, 'tessera_admin_api_requests_total', list) ?? 0), 1);
    assert.equal(value(afterwards, 'tessera_admin_api_requests_total', one) - (sample(before, 'tessera_admin_api_requests_total', one) ?? 0), 1);
    assert.ok(value(afterwards, 'tessera_admin_api_requests_total', { method: 'GET', route: 'unmatched', status_class: '4xx' }) >= 1);
    assert.ok(!afterwards.includes('no-such-account'), 'a requested path became a label');
    assert.ok(value(afterwards, 'tessera_admin_api_request_duration_seconds_count', list) >= 1);
  });

  it('counts audit events and group commits', async () => {
    const before = await scrape(server);

    for (let i = 0; i < 2; i += 1) assert.equal((await requestToken(server, account)).status, 200);
    assert.equal((await server.admin.patch(`/service-accounts/${account.id}`, { description: 'scraped by a test' })).status, 200);
    const afterwards = await scrape(server);

    const written = value(afterwards, 'tessera_audit_events_written_total') - value(before, 'tessera_audit_events_written_total');
    assert.equal(written, 3, 'two token events by group commit and one account change in its transaction');
    assert.equal(value(afterwards, 'tessera_audit_group_commit_events_count') - value(before, 'tessera_audit_group_commit_events_count'), 2);
    assert.equal(value(afterwards, 'tessera_audit_group_commit_events_sum') - value(before, 'tessera_audit_group_commit_events_sum'), 2);
    assert.ok(value(afterwards, 'tessera_audit_group_commit_duration_seconds_count') >= 2);
    assert.equal(value(afterwards, 'tessera_audit_queue_events'), 0);
    assert.equal(value(afterwards, 'tessera_audit_write_lag_seconds'), 0);
  });

  it('shows pending last-used entries and policy cache lookups', async () => {
    await server.tessera.context.lastUsed.flush();
    const before = await scrape(server);
    assert.equal(value(before, 'tessera_last_used_pending_credentials'), 0);

    assert.equal((await requestToken(server, account)).status, 200);
    const afterwards = await scrape(server);

    assert.equal(value(afterwards, 'tessera_last_used_pending_credentials'), 1);
    const lookups = (text: string) => value(text, 'tessera_policy_cache_lookups_total', { result: 'hit' }) + value(text, 'tessera_policy_cache_lookups_total', { result: 'miss' });
    assert.ok(lookups(afterwards) > lookups(before), 'the token request read the policy');
    assert.equal(value(afterwards, 'tessera_signing_keys_published'), 1);
  });

  it('shows token client cache lookups', async () => {
    assert.equal((await requestToken(server, account)).status, 200);
    const before = await scrape(server);

    assert.equal((await requestToken(server, account)).status, 200);
    const afterwards = await scrape(server);

    assert.equal(value(afterwards, 'tessera_token_client_cache_lookups_total', { result: 'hit' }), value(before, 'tessera_token_client_cache_lookups_total', { result: 'hit' }) + 1);
    assert.ok(value(afterwards, 'tessera_token_client_cache_entries') >= 1);
    assert.ok(sample(afterwards, 'tessera_token_client_cache_invalidations_total') !== undefined);
    assert.ok(sample(afterwards, 'tessera_verified_token_cache_entries') !== undefined);
  });

  it('shows database pool gauges on PostgreSQL only', async () => {
    const text = await scrape(server);

    if (TEST_DIALECT === 'postgres') {
      assert.ok(value(text, 'tessera_db_pool_connections', { state: 'total' }) >= 1);
      assert.ok(value(text, 'tessera_db_pool_connections', { state: 'idle' }) >= 0);
      assert.equal(value(text, 'tessera_db_pool_waiting_requests'), 0);
    } else {
      assert.equal(sample(text, 'tessera_db_pool_connections', { state: 'total' }), undefined);
    }
  });

  it('shows notification deliveries', async () => {
    const text = await scrape(server);

    assert.equal(value(text, 'tessera_notification_deliveries', { status: 'pending' }), 0);
    assert.equal(value(text, 'tessera_notification_deliveries', { status: 'failed' }), 0);
    assert.equal(value(text, 'tessera_notification_oldest_pending_age_seconds'), 0);
  });

  it('includes the process metrics', async () => {
    const text = await scrape(server);

    assert.ok(value(text, 'process_cpu_user_seconds_total') > 0);
    assert.ok(text.includes('# TYPE nodejs_eventloop_lag_seconds gauge'));
  });
});

describe('audit sink lag metric', () => {
  const webhook = new WebhookReceiver();
  let server: TestServer;

  before(async () => {
    await webhook.start();
    webhook.status = 500;
    server = await startTestServer({ config: { auditSinkPollMs: 50 } });
  });

  after(async () => {
    await server.close();
    await webhook.stop();
  });

  it('matches the lag the admin API shows', async () => {
    const created = await server.admin.post('/audit-sinks', { name: 'failing-siem', type: 'webhook', target: webhook.url, startFrom: 'beginning' });
    assert.equal(created.status, 201, created.text);
    await waitFor('a failed delivery', async () => (await server.admin.get(`/audit-sinks/${created.body.id}`)).body.failures >= 1);

    const view = (await server.admin.get(`/audit-sinks/${created.body.id}`)).body;
    const text = await scrape(server);

    assert.ok(view.lag > 0);
    assert.equal(value(text, 'tessera_audit_sink_lag_events', { sink_id: created.body.id, sink_name: 'failing-siem' }), view.lag);
  });
});

describe('metrics access', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });

  after(() => server.close());

  it('serves a direct loopback caller', async () => {
    const response = await fetch(`${server.baseUrl}/metrics`);

    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  it('rejects a caller that is not on loopback', async () => {
    const response = await server.tessera.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9' });

    assert.equal(response.statusCode, 403);
    assert.equal(response.json().code, 'metrics_forbidden');
  });

  it('rejects a request forwarded by a local proxy', async () => {
    const response = await fetch(`${server.baseUrl}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });

    assertProblem(await readProblem(response), 403, 'metrics_forbidden');
  });
});

describe('metrics access with a token', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ config: { metricsToken: METRICS_TOKEN } });
  });

  after(() => server.close());

  it('requires the token from loopback too', async () => {
    const response = await fetch(`${server.baseUrl}/metrics`);

    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="tessera-metrics"');
    assertProblem(await readProblem(response), 401, 'metrics_token_invalid');
  });

  it('rejects a wrong token without echoing it', async () => {
    const response = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } });
    const text = await response.text();

    assert.equal(response.status, 401);
    assert.ok(!text.includes(METRICS_TOKEN), 'the response contains the token');
  });

  it('serves a caller with the token from any address', async () => {
    const response = await server.tessera.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });

    assert.equal(response.statusCode, 200);
    assert.ok(response.body.includes('tessera_token_requests_total'));
  });
});

describe('metrics of two servers in one process', () => {
  it('keeps a registry per server', async () => {
    const first = await startTestServer();
    const second = await startTestServer();
    try {
      await ensureInstance(first, 'jira');
      const account = await createAccount(first, { name: 'only-on-first', access: [{ instance: 'jira', scopes: ['READ'] }] });
      assert.equal((await requestToken(first, account)).status, 200);

      assert.equal(value(await scrape(first), 'tessera_token_requests_total', ISSUED), 1);
      assert.equal(value(await scrape(second), 'tessera_token_requests_total', ISSUED), 0);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
