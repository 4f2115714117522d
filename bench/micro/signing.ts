/**
 * Measures the cost of signing one access token: Tessera's KeyRing.sign, node:crypto with a
 * header encoded once, and jose 6 (SignJWT and CompactSign) with a KeyObject and with a
 * WebCrypto CryptoKey. Ed25519 (EdDSA) rows are for reference only, because access tokens are
 * ES256 on the wire.
 *
 *   node --import tsx bench/micro/signing.ts [--seconds 2] [--rounds 5]
 *
 * A Tessera server runs in this process on 127.0.0.1 with a fresh SQLite file, only to get its
 * current signing key and the claims of a real token. It is idle while the cases run. Every
 * ES256 case signs those claims with that key, each time with a new `jti`. Progress goes to
 * stderr and the Markdown report to stdout.
 */
import { type KeyObject, generateKeyPairSync, randomUUID, sign, webcrypto } from 'node:crypto';
import { ACCESS_TOKEN_TYPE } from '@tessera/shared';
import { CompactSign, SignJWT } from 'jose';
import { checkTotalTime, log, parseMicroOptions, printReport, runCases, startTokenFixture } from './harness.js';

const options = parseMicroOptions({ seconds: 2, rounds: 5 });
const fixture = await startTokenFixture();
try {
  const keyRing = fixture.server.tessera.context.keyRing;
  const { kid, privateKey } = keyRing.currentKey();
  const cryptoKey = await webcrypto.subtle.importKey('pkcs8', privateKey.export({ format: 'der', type: 'pkcs8' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const ed25519Key = generateKeyPairSync('ed25519').privateKey;
  log(`signing with ${kid}, claims of a real token: ${Object.keys(fixture.claims).join(', ')}`);

  const claimsWithNewId = () => ({ ...fixture.claims, jti: randomUUID() });
  const esHeader = { alg: 'ES256', kid, typ: ACCESS_TOKEN_TYPE };
  const encodedEsHeader = Buffer.from(JSON.stringify(esHeader)).toString('base64url');
  const encodedEdHeader = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'reference', typ: ACCESS_TOKEN_TYPE })).toString('base64url');
  const fixedSigningInput = Buffer.from(`${encodedEsHeader}.${Buffer.from(JSON.stringify(fixture.claims)).toString('base64url')}`);
  const encoder = new TextEncoder();

  /** Signs with node:crypto after encoding the claims; `algorithm` is null for Ed25519, which hashes internally. */
  const signWithNodeCrypto = (encodedHeader: string, algorithm: string | null, key: KeyObject) => {
    const signingInput = `${encodedHeader}.${Buffer.from(JSON.stringify(claimsWithNewId())).toString('base64url')}`;
    const signature = sign(algorithm, Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${signature.toString('base64url')}`;
  };

  const cases = [
    {
      name: 'Tessera keyRing.sign (node:crypto)',
      note: 'what the token endpoint calls: finds the current key, encodes header and claims, signs',
      run: () => keyRing.sign(ACCESS_TOKEN_TYPE, claimsWithNewId()),
    },
    {
      name: 'node:crypto sign, header encoded once',
      note: 'encodes the claims and signs; the header is a base64url string built at start',
      run: () => signWithNodeCrypto(encodedEsHeader, 'sha256', privateKey),
    },
    {
      name: 'node:crypto sign only, fixed input',
      note: 'the ECDSA P-256 signature alone over a fixed signing input, the floor of every ES256 row',
      run: () => sign('sha256', fixedSigningInput, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
    },
    {
      name: 'jose SignJWT, KeyObject',
      run: () => new SignJWT(claimsWithNewId()).setProtectedHeader(esHeader).sign(privateKey),
    },
    {
      name: 'jose SignJWT, CryptoKey',
      note: 'jose signs through WebCrypto (crypto.subtle), which is asynchronous',
      run: () => new SignJWT(claimsWithNewId()).setProtectedHeader(esHeader).sign(cryptoKey),
    },
    {
      name: 'jose CompactSign, KeyObject',
      note: 'jose without its JWT claim handling: the payload is JSON encoded by the caller',
      run: () => new CompactSign(encoder.encode(JSON.stringify(claimsWithNewId()))).setProtectedHeader(esHeader).sign(privateKey),
    },
    {
      name: 'reference only: EdDSA (Ed25519), node:crypto',
      note: 'not the wire format of access tokens, which stays ES256',
      run: () => signWithNodeCrypto(encodedEdHeader, null, ed25519Key),
    },
    {
      name: 'reference only: EdDSA (Ed25519), jose SignJWT',
      note: 'not the wire format of access tokens, which stays ES256',
      run: () => new SignJWT(claimsWithNewId()).setProtectedHeader({ alg: 'EdDSA', typ: ACCESS_TOKEN_TYPE }).sign(ed25519Key),
    },
  ];
  checkTotalTime(options, cases.length);

  const results = await runCases(cases, options);
  printReport('Signing one access token', options, results, [
    `The claims are those of a real access token (${JSON.stringify(fixture.claims).length} bytes of JSON) with a new \`jti\` per signature. ES256 uses the server's P-256 key, and EdDSA a fresh Ed25519 key.`,
  ]);
} finally {
  await fixture.server.close();
}
