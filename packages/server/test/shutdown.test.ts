import assert from 'node:assert/strict';
import { Agent, type IncomingMessage, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { basicAuth, createAccount, ensureInstance, startTestServer } from './support/server.js';

/** Far below the server's 72 s keep-alive timeout, and far above a normal stop. */
const STOP_DEADLINE_MS = 10_000;

it('stops without waiting for keep-alive clients', async () => {
  const server = await startTestServer();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await ensureInstance(server, 'jira');
    const account = await createAccount(server, { name: 'stopping-client', access: [{ instance: 'jira', scopes: ['READ'] }] });
    const body = 'grant_type=client_credentials';

    // The request is in flight when the stop begins: its headers and part of its body have arrived.
    const request = httpRequest(`${server.baseUrl}/oauth/token`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length), authorization: basicAuth(account.clientId, account.clientSecret) },
    });
    const answered = new Promise<IncomingMessage>((resolve, reject) => {
      request.on('response', resolve);
      request.on('error', reject);
    });
    request.write(body.slice(0, 5));
    await sleep(100);

    const stopped = server.stop().then(() => 'stopped' as const);
    await sleep(100);
    request.end(body.slice(5));

    const response = await answered;
    response.resume();
    assert.equal(response.statusCode, 200);

    // The client keeps its connection open; the stop must not wait for it to go.
    const deadline = sleep(STOP_DEADLINE_MS, 'still waiting' as const, { ref: false });
    const outcome = await Promise.race([stopped, deadline]);
    assert.equal(outcome, 'stopped');
  } finally {
    agent.destroy();
    await server.close();
  }
});
