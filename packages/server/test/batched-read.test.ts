import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BatchedRead } from '../src/storage/batched-read.js';
import { TOKEN_CLIENTS_GENERATION } from '../src/storage/cache-generations.js';
import { type TestServer, basicAuth, createAccount, ensureInstance, introspect, postForm, queryDatabase, requestToken, startTestServer } from './support/server.js';

/** Creates a batched read whose queries the test settles one by one, and records the keys of each query. */
function controlledRead(valueOf: (key: string) => string = (key) => key.toUpperCase()) {
  const queries: { keys: string[]; settle(error?: Error): void }[] = [];
  const read = new BatchedRead<string, string>(
    (keys) =>
      new Promise((resolve, reject) => {
        queries.push({ keys, settle: (error) => (error ? reject(error) : resolve(valueOf)) });
      }),
    { maxBatch: 3 },
  );
  return { read, queries };
}

/** Lets settled promises run their callbacks. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('batched read', () => {
  it('queues callers during a query', async () => {
    const { read, queries } = controlledRead();

    const first = read.read('a');
    const second = read.read('b');
    const third = read.read('c');
    assert.deepEqual(
      queries.map((query) => query.keys),
      [['a']],
    );

    queries[0].settle();
    assert.equal(await first, 'A');
    await settle();
    assert.deepEqual(
      queries.map((query) => query.keys),
      [['a'], ['b', 'c']],
    );

    queries[1].settle();
    assert.deepEqual(await Promise.all([second, third]), ['B', 'C']);
  });

  it('never returns an older snapshot', async () => {
    let stored = 1;
    const pending: (() => void)[] = [];
    const read = new BatchedRead<string, number>((): Promise<(key: string) => number> => {
      // The query reads the value stored when it starts, as a database snapshot would.
      const seen = stored;
      return new Promise((resolve) => pending.push(() => resolve(() => seen)));
    });

    const early = read.read('counter');
    stored = 2;
    const late = read.read('counter');
    pending[0]();

    assert.equal(await early, 1);
    await settle();
    pending[1]();
    assert.equal(await late, 2);
  });

  it('takes callers until a delayed start', async () => {
    const starts: (() => void)[] = [];
    const queried: string[][] = [];
    const read = new BatchedRead<string, string>(
      async (keys) => {
        queried.push(keys);
        return (key) => key;
      },
      { startIn: (start) => starts.push(start) },
    );

    const first = read.read('a');
    const second = read.read('b');
    assert.deepEqual(queried, []);

    starts[0]();
    const third = read.read('c');
    assert.deepEqual(await Promise.all([first, second]), ['a', 'b']);
    await settle();
    assert.equal(starts.length, 2);

    starts[1]();
    assert.equal(await third, 'c');
    assert.deepEqual(queried, [['a', 'b'], ['c']]);
  });

  it('splits a long queue', async () => {
    const { read, queries } = controlledRead();
    const reads = ['a', 'b', 'c', 'd', 'e', 'f'].map((key) => read.read(key));

    for (let index = 0; index < 3; index += 1) {
      queries[index].settle();
      await settle();
    }

    assert.deepEqual(
      queries.map((query) => query.keys),
      [['a'], ['b', 'c', 'd'], ['e', 'f']],
    );
    assert.deepEqual(await Promise.all(reads), ['A', 'B', 'C', 'D', 'E', 'F']);
  });

  it('continues after a failed query', async () => {
    const { read, queries } = controlledRead();
    const failing = read.read('a');
    const next = read.read('b');

    queries[0].settle(new Error('connection lost'));
    await assert.rejects(failing, /connection lost/);
    await settle();
    queries[1].settle();

    assert.equal(await next, 'B');
  });

  it('rejects on synchronous throws', async () => {
    const throwing = new BatchedRead<string, string>(() => {
      throw new Error('no connection');
    });
    await assert.rejects(throwing.read('a'), /no connection/);
    await assert.rejects(throwing.read('b'), /no connection/);

    const { read, queries } = controlledRead((key) => {
      if (key === 'bad') throw new Error('unreadable row');
      return key;
    });
    const bad = read.read('bad');
    queries[0].settle();
    await assert.rejects(bad, /unreadable row/);

    const good = read.read('good');
    await settle();
    queries[1].settle();
    assert.equal(await good, 'good');
  });
});

describe('hot reads of the database', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });

  after(() => server.close());

  const hotReads = () => server.tessera.context.hotReads;

  it('checks concurrent revocations per token', async () => {
    await queryDatabase(server, `insert into revoked_tokens (jti, expires_at) values ('revoked-1', 9999999999999), ('revoked-2', 9999999999999)`);

    const jtis = ['revoked-1', 'live-1', 'revoked-2', 'live-2', 'revoked-1'];
    const answers = await Promise.all(jtis.map((jti) => hotReads().isTokenRevoked(jti)));

    assert.deepEqual(answers, [true, false, true, false, true]);
  });

  it('reads a counter change made mid-read', async () => {
    const before = await hotReads().tokenClientsGeneration();
    const running = hotReads().tokenClientsGeneration();

    await queryDatabase(server, `update cache_generations set generation = generation + 1 where name = '${TOKEN_CLIENTS_GENERATION}'`);
    const after = await hotReads().tokenClientsGeneration();

    assert.equal(after, before + 1);
    assert.ok((await running) <= after);
  });

  it('revokes at once under load', async () => {
    await ensureInstance(server, 'jira');
    const account = await createAccount(server, { name: 'revoked-under-load', access: [{ instance: 'jira', scopes: ['READ'] }] });
    const token = (await requestToken(server, account)).body.access_token;

    // Workers keep introspections in flight, so that some wait in a batch while the revocation commits.
    const results: { startedAt: number; active: boolean }[] = [];
    let revokedAt = Number.POSITIVE_INFINITY;
    let stopAt = Number.POSITIVE_INFINITY;
    const worker = async () => {
      while (performance.now() < stopAt) {
        const startedAt = performance.now();
        const result = await introspect(server, account, token);
        assert.equal(result.status, 200);
        results.push({ startedAt, active: result.body.active });
      }
    };
    const workers = Array.from({ length: 20 }, worker);

    await new Promise((resolve) => setTimeout(resolve, 200));
    const revoked = await postForm(`${server.baseUrl}/oauth/revoke`, { token }, { authorization: basicAuth(account.clientId, account.clientSecret) });
    revokedAt = performance.now();
    stopAt = revokedAt + 300;
    await Promise.all(workers);

    assert.equal(revoked.status, 200);
    assert.ok(results.some((result) => result.startedAt < revokedAt && result.active));
    const later = results.filter((result) => result.startedAt > revokedAt);
    assert.ok(later.length > 0);
    assert.deepEqual(later.filter((result) => result.active), []);
  });
});
