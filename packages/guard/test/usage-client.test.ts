import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { type Guard, type GuardOptions, type Principal, createGuard } from '../src/index.js';
import { MockIssuer } from './mock-issuer.js';
import { RecordingLogger, bearer, waitFor } from './support.js';

describe('guard usage reporter against a mock issuer', () => {
  let issuer: MockIssuer;
  let guard: Guard | undefined;
  let logger: RecordingLogger;
  let principal: Principal;

  before(async () => {
    issuer = await MockIssuer.start();
  });

  after(() => issuer.close());

  afterEach(async () => {
    await guard?.close();
    guard = undefined;
    issuer.usage = (request) => ({ status: 202, body: { accepted: request.body.events.length, rejected: 0 } });
    issuer.usageRequests.length = 0;
  });

  /** Starts a guard whose timer never fires during a test, so flushes happen only when the test calls flushUsage or close. */
  async function startGuard(options: Partial<GuardOptions> = {}): Promise<Guard> {
    logger = new RecordingLogger();
    guard = createGuard({
      issuer: issuer.baseUrl,
      audience: issuer.audience,
      profile: 'jira',
      clientId: 'tsc_product',
      clientSecret: 'tss_product',
      logger,
      revocations: { pollIntervalMs: 60_000 },
      ...options,
      usage: { flushIntervalMs: 60_000, ...options.usage },
    });
    await guard.start();
    const result = await guard.authenticate(bearer(await issuer.sign()));
    if (!result.ok) assert.fail(`token rejected: ${result.error.code}`);
    principal = result.principal;
    return guard;
  }

  function reportMany(count: number, route = '/items/:id'): void {
    for (let index = 0; index < count; index += 1) guard!.report(principal, { method: 'GET', route: `${route}#${index}`, status: 200 });
  }

  it('posts events in batches of at most 500', async () => {
    await startGuard();
    reportMany(1200);
    await waitFor(() => guard!.stats().reportsSent === 1200, 5000, 'all events sent');

    const sizes = issuer.usageRequests.map((request) => request.body.events.length);
    assert.deepEqual(sizes, [500, 500, 200]);
    const [first] = issuer.usageRequests;
    assert.equal(first.body.audience, issuer.audience);
    assert.equal(first.authorization, `Basic ${Buffer.from('tsc_product:tss_product').toString('base64')}`);
    assert.deepEqual(Object.keys(first.body.events[0]).sort(), ['accountId', 'credentialId', 'method', 'occurredAt', 'resource', 'route', 'status', 'tokenId']);
    assert.equal(first.body.events[0].accountId, principal.accountId);
    assert.equal(first.body.events[0].credentialId, principal.credentialId);
    assert.equal(first.body.events[0].tokenId, principal.tokenId);
    assert.equal(first.body.events[0].resource, null);
    assert.equal(first.body.events[0].route, '/items/:id#0');
  });

  it('flushes on the timer', async () => {
    await startGuard({ usage: { flushIntervalMs: 50 } });
    reportMany(3);

    await waitFor(() => guard!.stats().reportsSent === 3, 2000, 'the timer flush');
    assert.equal(issuer.usageRequests.length, 1);
  });

  it('drops the oldest events when the buffer is full', async () => {
    await startGuard({ usage: { maxBuffer: 10 } });
    reportMany(15);
    await guard!.flushUsage();

    const routes = issuer.usageRequests.flatMap((request) => request.body.events.map((event: { route: string }) => event.route));
    assert.deepEqual(routes, Array.from({ length: 10 }, (_, index) => `/items/:id#${index + 5}`));
    assert.equal(guard!.stats().reportsDropped, 5);
  });

  it('keeps events while the endpoint fails and sends them after', async () => {
    await startGuard();
    issuer.usage = () => ({ status: 503, body: { error: 'temporarily_unavailable' } });
    reportMany(3);
    await guard!.flushUsage();
    reportMany(2, '/later');
    await guard!.flushUsage();

    assert.equal(guard!.stats().reportsSent, 0);
    assert.equal(guard!.stats().reportsDropped, 0);
    assert.equal(logger.entries.filter((entry) => entry.message.startsWith('the usage endpoint failed')).length, 1);

    issuer.usage = (request) => ({ status: 202, body: { accepted: request.body.events.length, rejected: 0 } });
    await guard!.flushUsage();
    const lastBatch = issuer.usageRequests.at(-1)!.body.events.map((event: { route: string }) => event.route);
    assert.deepEqual(lastBatch, ['/items/:id#0', '/items/:id#1', '/items/:id#2', '/later#0', '/later#1']);
    assert.equal(guard!.stats().reportsSent, 5);
    assert.ok(logger.messages('info').includes('the usage endpoint is reachable again'));
  });

  it('drops a batch the endpoint rejects as malformed', async () => {
    await startGuard();
    issuer.usage = () => ({ status: 400, body: { error: 'invalid_request', error_description: 'The body is invalid.' } });
    reportMany(4);
    await guard!.flushUsage();
    reportMany(1);
    await guard!.flushUsage();

    assert.equal(guard!.stats().reportsDropped, 5);
    const errors = logger.entries.filter((entry) => entry.level === 'error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].details.errorDescription, 'The body is invalid.');
  });

  it('counts events the endpoint rejects one by one', async () => {
    await startGuard();
    issuer.usage = (request) => ({ status: 202, body: { accepted: request.body.events.length - 1, rejected: 1 } });
    reportMany(3);
    await guard!.flushUsage();

    assert.equal(guard!.stats().reportsSent, 2);
    assert.equal(guard!.stats().reportsDropped, 1);
  });

  it('sends what is buffered on close', async () => {
    await startGuard();
    reportMany(2);
    await guard!.close();

    assert.equal(issuer.usageRequests.length, 1);
    guard!.report(principal, { method: 'GET', route: '/after-close', status: 200 });
    assert.equal(guard!.stats().reportsDropped, 1);
    guard = undefined;
  });

  it('never throws from report', async () => {
    await startGuard();
    const bad = [null, undefined, {}, { method: 7, route: null, status: 'x' }, { method: 'GET', route: '/r', status: 200, resource: { type: null } }];
    for (const report of bad) assert.doesNotThrow(() => guard!.report(principal, report as never));

    assert.equal(guard!.stats().reportsDropped, bad.length);
  });

  it('reports nothing without client credentials', async () => {
    logger = new RecordingLogger();
    guard = createGuard({ issuer: issuer.baseUrl, audience: issuer.audience, profile: 'jira', logger });
    await guard.start();
    const result = await guard.authenticate(bearer(await issuer.sign()));
    assert.ok(result.ok);
    guard.report(result.principal, { method: 'GET', route: '/x', status: 200 });
    await guard.flushUsage();

    assert.equal(issuer.usageRequests.length, 0);
    assert.deepEqual(guard.stats(), { verified: 1, cacheHits: 0, rejected: 0, reportsSent: 0, reportsDropped: 0, feedLagMs: null });
    assert.ok(logger.messages('warn').some((message) => message.includes('no clientId and clientSecret')));
  });
});
