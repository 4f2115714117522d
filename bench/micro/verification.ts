/**
 * Measures the cost of verifying one ES256 access token. The cases are jose 6 jwtVerify with a
 * KeyObject and with a local JWK set, node:crypto verify with a cached KeyObject, and guard
 * (packages/guard) with a fresh token and with a token already in its cache. An Ed25519 row is
 * for reference only, because access tokens are ES256 on the wire.
 *
 *   node --import tsx bench/micro/verification.ts [--seconds 2] [--rounds 5] [--tokens 20000]
 *
 * A Tessera server runs in this process on 127.0.0.1 with a fresh SQLite file. The tokens
 * carry the claims of a real token from POST /oauth/token, each with its own `jti`, signed by
 * the server's key. Guard finds the keys through the issuer metadata, as a product would, and
 * its fresh-token case cycles through more tokens than its cache holds, so every lookup misses.
 * Progress goes to stderr and the Markdown report to stdout.
 */
import { type KeyObject, generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import { ACCESS_TOKEN_TYPE } from '@tessera/shared';
import { compactVerify, createLocalJWKSet, jwtVerify } from 'jose';
import { createGuard } from '../../packages/guard/src/index.js';
import { checkTotalTime, log, parseMicroOptions, printReport, runCases, startTokenFixture } from './harness.js';

const options = parseMicroOptions({ seconds: 2, rounds: 5 }, { tokens: '20000' });
const tokenCount = Number(options.extra.tokens);
if (!Number.isInteger(tokenCount) || tokenCount < 2 || tokenCount > 200_000) throw new Error(`--tokens must be an integer from 2 to 200000, got ${options.extra.tokens}`);

/**
 * Verifies a compact JWS with node:crypto and checks the claims that matter most: the header's
 * alg and kid, the issuer, the audience and the expiry. It leaves out what jose and guard
 * also check (typ, nbf, iat, the shape of each claim), so it is a floor, not a replacement.
 */
function verifyWithNodeCrypto(token: string, keys: Map<string, KeyObject>, issuer: string, audience: string, nowSeconds: number): Record<string, unknown> {
  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  if (firstDot < 0 || secondDot < 0) throw new Error('not a compact JWS');

  const header = JSON.parse(Buffer.from(token.slice(0, firstDot), 'base64url').toString('utf8')) as { alg?: string; kid?: string };
  const key = header.kid === undefined ? undefined : keys.get(header.kid);
  if (header.alg !== 'ES256' || !key) throw new Error('unexpected alg or unknown kid');

  const signature = Buffer.from(token.slice(secondDot + 1), 'base64url');
  if (!verify('sha256', Buffer.from(token.slice(0, secondDot)), { key, dsaEncoding: 'ieee-p1363' }, signature)) throw new Error('invalid signature');

  const claims = JSON.parse(Buffer.from(token.slice(firstDot + 1, secondDot), 'base64url').toString('utf8')) as Record<string, unknown>;
  if (claims.iss !== issuer || claims.aud !== audience || typeof claims.exp !== 'number' || claims.exp <= nowSeconds) throw new Error('claims do not match');
  return claims;
}

const fixture = await startTokenFixture();
try {
  const { server, audience } = fixture;
  const keyRing = server.tessera.context.keyRing;
  const { kid, publicKey } = keyRing.currentKey();

  log(`signing ${tokenCount} tokens with the server's key`);
  const tokens = Array.from({ length: tokenCount }, () => keyRing.sign(ACCESS_TOKEN_TYPE, { ...fixture.claims, jti: randomUUID() }));
  const cacheSize = Math.floor(tokenCount / 2);

  const guard = createGuard({ issuer: server.baseUrl, audience, profile: 'jira', cacheSize, now: () => server.clock.now() });
  await guard.start();
  const jwks = createLocalJWKSet((await (await fetch(`${server.baseUrl}/oauth/jwks`)).json()) as { keys: never[] });
  const keys = new Map([[kid, publicKey]]);
  const verifyOptions = () => ({ issuer: server.baseUrl, audience, algorithms: ['ES256'], typ: ACCESS_TOKEN_TYPE, clockTolerance: 30, currentDate: new Date(server.clock.now()) });

  const ed25519 = generateKeyPairSync('ed25519');
  const fixedInput = Buffer.from(tokens[0].slice(0, tokens[0].lastIndexOf('.')));
  const ed25519Signature = sign(null, fixedInput, ed25519.privateKey);
  const fixedSignature = Buffer.from(tokens[0].slice(tokens[0].lastIndexOf('.') + 1), 'base64url');

  let next = 0;
  const nextToken = () => {
    next = (next + 1) % tokens.length;
    return tokens[next];
  };
  const expectGuardOk = async (authorization: string) => {
    const result = await guard.authenticate(authorization);
    if (!result.ok) throw new Error(`guard rejected a benchmark token: ${result.error.code}`);
  };
  const cachedHeader = `Bearer ${tokens[0]}`;

  const cases = [
    {
      name: 'jose jwtVerify, KeyObject',
      note: 'signature, alg, typ, issuer, audience and lifetime checked',
      run: () => jwtVerify(nextToken(), publicKey, verifyOptions()),
    },
    {
      name: 'jose jwtVerify, local JWK set',
      note: 'as above, with the key picked by kid from the JWKS document, as guard does',
      run: () => jwtVerify(nextToken(), jwks, verifyOptions()),
    },
    {
      name: 'jose compactVerify, KeyObject',
      note: 'signature only, no claim checks',
      run: () => compactVerify(nextToken(), publicKey, { algorithms: ['ES256'] }),
    },
    {
      name: 'node:crypto verify, cached KeyObject',
      note: 'signature, alg, kid, issuer, audience and exp checked by hand; typ, nbf and iat are not',
      run: () => verifyWithNodeCrypto(nextToken(), keys, server.baseUrl, audience, Math.floor(server.clock.now() / 1000)),
    },
    {
      name: 'node:crypto verify only, fixed input',
      note: 'the ECDSA P-256 verification alone, the floor of every ES256 row',
      run: () => verify('sha256', fixedInput, { key: publicKey, dsaEncoding: 'ieee-p1363' }, fixedSignature),
    },
    {
      name: 'guard, fresh token',
      note: `cycles through ${tokenCount} tokens with a cache of ${cacheSize}, so every lookup misses and verifies`,
      run: () => expectGuardOk(`Bearer ${nextToken()}`),
    },
    {
      name: 'guard, cached token',
      note: 'the same token each time: a cache hit without a signature check',
      run: () => expectGuardOk(cachedHeader),
    },
    {
      name: 'reference only: Ed25519 verify, node:crypto',
      note: 'the signature alone over the same input; not the wire format of access tokens',
      run: () => verify(null, fixedInput, ed25519.publicKey, ed25519Signature),
    },
  ];
  checkTotalTime(options, cases.length);

  try {
    const results = await runCases(cases, options);
    printReport('Verifying one access token', options, results, [
      `The tokens are ES256 with the claims of a real access token (${tokens[0].length} characters), each with its own \`jti\`. The jose and node:crypto rows take them in turn, like guard's fresh-token row.`,
    ]);
    console.log(`\nguard stats: ${JSON.stringify(guard.stats())}`);
  } finally {
    await guard.close();
  }
} finally {
  await fixture.server.close();
}
