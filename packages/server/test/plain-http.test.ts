import assert from 'node:assert/strict';
import { type IncomingHttpHeaders, type Server, createServer, request as httpRequest } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { plainOAuthHandler } from '../src/oauth/plain-http.js';
import { type CreatedAccount, type TestServer, basicAuth, createAccount, ensureInstance, introspect, startTestServer } from './support/server.js';

interface RawResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** Header names in the order the server sent them, in lower case. */
  headerOrder: string[];
  body: any;
}

const FALLBACK_STATUS = 599;
const FORM = 'application/x-www-form-urlencoded';

/**
 * Sends one request with node:http. With `chunked` the body goes out in chunks without a
 * Content-Length, and the plain path leaves such a request to Fastify.
 */
function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; chunked?: boolean }): Promise<RawResult> {
  const { method = 'POST', headers = {}, body = '', chunked = false } = options;
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method, headers: chunked ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => {
        const headerOrder = response.rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase());
        resolve({ status: response.statusCode!, headers: response.headers, headerOrder, body: text ? JSON.parse(text) : undefined });
      });
    });
    request.on('error', reject);
    if (chunked) request.write(body.slice(0, 5));
    request.end(chunked ? body.slice(5) : body);
  });
}

function tokenRequest(account: CreatedAccount, extra: Record<string, string> = {}): { headers: Record<string, string>; body: string } {
  return { headers: { 'content-type': FORM, authorization: basicAuth(account.clientId, account.clientSecret), ...extra }, body: 'grant_type=client_credentials' };
}

async function lastEvent(server: TestServer, action: string) {
  const events = await server.admin.get(`/audit-events?action=${action}&limit=1`);
  assert.equal(events.status, 200);
  return events.body.items[0];
}

async function metricValue(server: TestServer, line: string): Promise<number> {
  const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
  const found = text.split('\n').find((candidate) => candidate.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

describe('plain OAuth path', () => {
  let server: TestServer;
  let account: CreatedAccount;

  before(async () => {
    // Loopback is the trusted proxy, and it names the client in X-Real-IP.
    server = await startTestServer({ config: { trustedProxies: ['127.0.0.1/32', '::1/128'], clientIpHeader: 'x-real-ip' } });
    await ensureInstance(server, 'jira');
    account = await createAccount(server, { name: 'plain-http', access: [{ instance: 'jira', scopes: ['READ'] }] });
  });

  after(() => server.close());

  describe('which requests it takes', () => {
    let front: Server;
    let closing = false;
    let url = '';

    before(async () => {
      // The plain handler in front of a stand-in for Fastify that responds to every request it gets with 599.
      const plain = plainOAuthHandler(server.tessera.context, () => closing);
      front = createServer((request, response) => {
        if (plain(request, response)) return;
        request.resume();
        response.writeHead(FALLBACK_STATUS).end();
      });
      await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    });

    after(() => new Promise<void>((resolve) => front.close(() => resolve())));

    it('answers well-formed POST requests to the token and introspection paths', async () => {
      const token = await send(`${url}/oauth/token`, tokenRequest(account));
      assert.equal(token.status, 200, JSON.stringify(token.body));
      assert.equal(token.body.token_type, 'Bearer');

      const atlassianPath = await send(`${url}/rest/oauth2/latest/token`, tokenRequest(account, { 'content-type': `${FORM}; charset=UTF-8` }));
      assert.equal(atlassianPath.status, 200, JSON.stringify(atlassianPath.body));

      const introspection = await send(`${url}/oauth/introspect`, { headers: tokenRequest(account).headers, body: `token=${token.body.access_token}` });
      assert.equal(introspection.status, 200);
      assert.equal(introspection.body.active, true);
    });

    it('leaves every other request to Fastify', async () => {
      const { headers, body } = tokenRequest(account);
      const others: [string, Promise<RawResult>][] = [
        ['a query string', send(`${url}/oauth/token?grant_type=client_credentials`, { headers, body })],
        ['a trailing slash', send(`${url}/oauth/token/`, { headers, body })],
        ['a chunked body', send(`${url}/oauth/token`, { headers, body, chunked: true })],
        ['a JSON body', send(`${url}/oauth/token`, { headers: { ...headers, 'content-type': 'application/json' }, body: '{}' })],
        ['no Content-Type', send(`${url}/oauth/token`, { headers: { authorization: headers.authorization }, body })],
        ['a body over the limit', send(`${url}/oauth/token`, { headers, body: `${body}&pad=${'x'.repeat(16 * 1024)}` })],
        ['GET', send(`${url}/oauth/token`, { method: 'GET', headers: { authorization: headers.authorization } })],
        ['the revocation endpoint', send(`${url}/oauth/revoke`, { headers, body: 'token=x' })],
      ];

      for (const [name, answer] of others) assert.equal((await answer).status, FALLBACK_STATUS, name);
    });

    it('leaves requests to Fastify once the server is closing', async () => {
      closing = true;
      try {
        assert.equal((await send(`${url}/oauth/token`, tokenRequest(account))).status, FALLBACK_STATUS);
      } finally {
        closing = false;
      }
    });
  });

  describe('on the server', () => {
    it('answers a token request as Fastify does', async () => {
      const plain = await send(`${server.baseUrl}/oauth/token`, tokenRequest(account));
      const routed = await send(`${server.baseUrl}/oauth/token`, { ...tokenRequest(account), chunked: true });

      for (const answer of [plain, routed]) {
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.deepEqual(Object.keys(answer.body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
        assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
        assert.equal(answer.headers['cache-control'], 'no-store');
        assert.equal(answer.headers.pragma, 'no-cache');
        assert.match(String(answer.headers['x-request-id']), /^[0-9a-f-]{36}$/);
        assert.equal((await introspect(server, account, answer.body.access_token)).body.active, true);
      }
    });

    it('refuses a wrong secret as Fastify does', async () => {
      const wrong = { ...account, clientSecret: `${account.clientSecret}x` };
      const plain = await send(`${server.baseUrl}/oauth/token`, tokenRequest(wrong, { 'x-request-id': 'plain-1' }));
      const routed = await send(`${server.baseUrl}/oauth/token`, { ...tokenRequest(wrong, { 'x-request-id': 'routed-1' }), chunked: true });

      for (const [answer, id] of [[plain, 'plain-1'], [routed, 'routed-1']] as const) {
        assert.equal(answer.status, 401);
        assert.deepEqual(answer.body, { error: 'invalid_client', error_description: 'Client authentication failed: check the client id and secret.' });
        assert.equal(answer.headers['www-authenticate'], 'Basic realm="tessera", charset="UTF-8"');
        assert.equal(answer.headers['cache-control'], 'no-store');
        assert.equal(answer.headers['x-request-id'], id);
      }
    });

    it('sends headers in the order Fastify does', async () => {
      const token = await send(`${server.baseUrl}/oauth/token`, tokenRequest(account));
      const wrong = { ...account, clientSecret: `${account.clientSecret}x` };
      const requests: [string, string, { headers: Record<string, string>; body: string }][] = [
        ['a token', '/oauth/token', tokenRequest(account)],
        ['a rejected secret', '/oauth/token', tokenRequest(wrong)],
        ['an introspection', '/oauth/introspect', { headers: tokenRequest(account).headers, body: `token=${token.body.access_token}` }],
      ];

      for (const [name, path, request] of requests) {
        const plain = await send(`${server.baseUrl}${path}`, request);
        const routed = await send(`${server.baseUrl}${path}`, { ...request, chunked: true });
        assert.deepEqual(plain.headerOrder, routed.headerOrder, name);
      }
    });

    it('reads the client address from the configured header on both paths', async () => {
      for (const chunked of [false, true]) {
        const address = chunked ? '203.0.113.8' : '203.0.113.7';
        const answer = await send(`${server.baseUrl}/oauth/token`, { ...tokenRequest(account, { 'x-real-ip': address, 'x-forwarded-for': '198.51.100.1' }), chunked });
        assert.equal(answer.status, 200);

        const event = await lastEvent(server, 'token.issued');
        assert.equal(event.source.ip, address, chunked ? 'through Fastify' : 'ahead of Fastify');
      }
    });

    it('decodes a character split across writes', async () => {
      const { port } = new URL(server.baseUrl);
      const body = Buffer.from('grant_type=\u00e9', 'utf8');
      const head = `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${FORM}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;

      const raw = await new Promise<string>((resolve, reject) => {
        const received: Buffer[] = [];
        const socket = connect(Number(port), '127.0.0.1', () => {
          // The first write ends after the first byte of the two-byte é.
          socket.write(Buffer.concat([Buffer.from(head), body.subarray(0, body.length - 1)]));
          setTimeout(() => socket.write(body.subarray(body.length - 1)), 20);
        });
        socket.on('data', (chunk: Buffer) => received.push(chunk));
        socket.on('end', () => resolve(Buffer.concat(received).toString('utf8')));
        socket.on('error', reject);
      });

      assert.match(raw, /^HTTP\/1\.1 400 /);
      const answer = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
      assert.equal(answer.error, 'unsupported_grant_type');
      assert.match(answer.error_description, /^The grant type "\u00e9" is not supported/);
    });

    it('keeps the server timeouts Fastify sets', () => {
      const http = server.tessera.app.server;

      // Fastify's defaults; Node's own keep-alive default is 5 s.
      assert.equal(http.keepAliveTimeout, 72_000);
      assert.equal(http.requestTimeout, 0);
      assert.equal(http.timeout, 0);
    });

    it('stays up when clients leave in the middle of a body', async () => {
      const { port } = new URL(server.baseUrl);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        await new Promise<void>((resolve, reject) => {
          const socket = connect(Number(port), '127.0.0.1', () => {
            socket.write(`POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${FORM}\r\nContent-Length: 100\r\n\r\ngrant_type=cl`);
            // Long enough for the server to have read the partial body.
            setTimeout(() => {
              socket.destroy();
              resolve();
            }, 50);
          });
          socket.on('error', reject);
        });
      }

      assert.equal((await send(`${server.baseUrl}/oauth/token`, tokenRequest(account))).status, 200);
    });

    it('counts its answers in the token and introspection metrics', async () => {
      const issued = 'tessera_token_requests_total{outcome="issued",error=""}';
      const refused = 'tessera_token_requests_total{outcome="refused",error="invalid_client"}';
      const active = 'tessera_introspection_requests_total{outcome="active",error=""}';
      const before = { issued: await metricValue(server, issued), refused: await metricValue(server, refused), active: await metricValue(server, active) };

      const token = await send(`${server.baseUrl}/oauth/token`, tokenRequest(account));
      await send(`${server.baseUrl}/oauth/token`, tokenRequest({ ...account, clientSecret: 'wrong' }));
      await send(`${server.baseUrl}/oauth/introspect`, { headers: tokenRequest(account).headers, body: `token=${token.body.access_token}` });

      assert.equal(await metricValue(server, issued), before.issued + 1);
      assert.equal(await metricValue(server, refused), before.refused + 1);
      assert.equal(await metricValue(server, active), before.active + 1);
    });
  });
});
