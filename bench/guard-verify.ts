/**
 * Measures how many access tokens per second guard verifies in three cases. A fresh token
 * each time costs a full ES256 verification, a cache miss and an insert. The same token again
 * is a cache hit. Raw jose `jwtVerify` against a local key set with the same checks is the baseline.
 *
 *   node --import tsx bench/guard-verify.ts [--duration 5] [--rounds 3] [--concurrency 16] [--tokens 20000]
 *
 * A Tessera server runs in this process on 127.0.0.1 with a fresh SQLite file. Guard finds
 * its keys through the issuer metadata, as a product would. The tokens carry the claims of
 * a real token from POST /oauth/token, each with its own jti, signed by the server's key. The
 * fresh-token case cycles through more tokens than the cache holds, so every lookup misses.
 * The three cases take turns for `rounds` rounds of `duration` seconds each, so with the
 * defaults the measurement takes 45 seconds. Progress goes to stderr and the Markdown report to stdout.
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { ACCESS_TOKEN_TYPE } from '@tessera/shared';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { createGuard } from '../packages/guard/src/index.js';
import { createAccount, ensureInstance, requestToken, startTestServer } from '../packages/server/test/support/server.js';
import { UsageError, exitOnUsageError, parseCommandLine } from './command-line.js';
import { parseIntegerOption } from './load.js';

const AUDIENCE = 'https://jira.example.com';

function parseOptions() {
  const { values } = parseCommandLine({
    options: {
      duration: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '16' },
      tokens: { type: 'string', default: '20000' },
    },
  });
  const numbers = {
    duration: parseIntegerOption('duration', values.duration, 1, 40),
    rounds: parseIntegerOption('rounds', values.rounds, 1, 40),
    concurrency: parseIntegerOption('concurrency', values.concurrency, 1, 10_000),
    tokens: parseIntegerOption('tokens', values.tokens, 1, 1_000_000),
  };
  if (numbers.duration * numbers.rounds * 3 > 120) throw new UsageError(`--duration times --rounds times 3 cases must stay within 120 seconds; got ${numbers.duration * numbers.rounds * 3}.`);
  return numbers;
}

/** Runs `verify` from `concurrency` loops for `seconds` and returns verifications per second. */
async function measure(seconds: number, concurrency: number, verify: (index: number) => Promise<void>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  const loop = async () => {
    while (performance.now() < deadline) {
      await verify(count);
      count += 1;
    }
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  return count / ((performance.now() - started) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const log = (message: string) => process.stderr.write(`${message}\n`);

const options = exitOnUsageError(parseOptions);
const server = await startTestServer();
try {
  await ensureInstance(server, 'jira', 'jira', AUDIENCE);
  const account = await createAccount(server, { name: 'bench-reader', access: [{ instance: 'jira', scopes: ['WRITE'], resources: { project: ['OPS', 'WEB'] } }] });
  const issued = await requestToken(server, account);
  if (issued.status !== 200) throw new Error(`token request failed: ${issued.status} ${issued.text}`);
  const claims = decodeJwt(issued.body.access_token);

  log(`signing ${options.tokens} tokens with the server's key`);
  const keyRing = server.tessera.context.keyRing;
  const tokens = Array.from({ length: options.tokens }, () => keyRing.sign(ACCESS_TOKEN_TYPE, { ...claims, jti: randomUUID() }));
  const cacheSize = Math.floor(options.tokens / 2);

  const guard = createGuard({ issuer: server.baseUrl, audience: AUDIENCE, profile: 'jira', cacheSize, now: () => server.clock.now() });
  await guard.start();
  const jwks = createLocalJWKSet((await (await fetch(`${server.baseUrl}/oauth/jwks`)).json()) as { keys: never[] });
  const currentDate = () => new Date(server.clock.now());

  const expectOk = async (authorization: string) => {
    const result = await guard.authenticate(authorization);
    if (!result.ok) throw new Error(`guard rejected a benchmark token: ${result.error.code}`);
  };
  const cachedHeader = `Bearer ${tokens[0]}`;
  const cases: Record<string, (index: number) => Promise<void>> = {
    'guard, fresh token': (index) => expectOk(`Bearer ${tokens[index % tokens.length]}`),
    'guard, cached token': () => expectOk(cachedHeader),
    'jose jwtVerify, local key set': async (index) => {
      await jwtVerify(tokens[index % tokens.length], jwks, { issuer: server.baseUrl, audience: AUDIENCE, algorithms: ['ES256'], typ: ACCESS_TOKEN_TYPE, clockTolerance: 30, currentDate: currentDate() });
    },
  };

  const results = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const [name, verify] of Object.entries(cases)) {
      const rate = await measure(options.duration, options.concurrency, verify);
      results.get(name)!.push(rate);
      log(`round ${round}/${options.rounds}: ${name}: ${Math.round(rate)} per second`);
    }
  }

  const stats = guard.stats();
  await guard.close();

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Guard verification, ${options.rounds} rounds of ${options.duration} s per case, ${options.concurrency} concurrent loops, one Node.js ${process.version} process on ${cpus().length} × ${cpu}.`);
  console.log(`Fresh tokens cycle through ${options.tokens} tokens with a cache of ${cacheSize} entries, so each lookup misses.\n`);
  console.log('| case | verifications per second (median) | rounds |');
  console.log('| --- | ---: | --- |');
  for (const [name, rates] of results) console.log(`| ${name} | ${Math.round(median(rates))} | ${rates.map((rate) => Math.round(rate)).join(', ')} |`);
  console.log(`\nguard stats: ${JSON.stringify(stats)}`);
} finally {
  await server.close();
}
