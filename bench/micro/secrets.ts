/**
 * Measures the client secret check that every token request with client_secret_basic or
 * client_secret_post makes, next to slower hashes a server could use instead.
 *
 *   node --import tsx bench/micro/secrets.ts [--seconds 2] [--rounds 5]
 *
 * Tessera stores HMAC-SHA256 of each client secret under a key derived from the master key,
 * and checks a presented secret by hashing it the same way and comparing with
 * timingSafeEqual (packages/server/src/oauth/client-auth.ts). The rows use Tessera's own
 * KeyMaterial and a secret from its own generator. Progress goes to stderr and the Markdown
 * report to stdout.
 */
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { createHash, createHmac, createSecretKey, pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { KeyMaterial } from '../../packages/server/src/crypto/master-key.js';
import { generateClientSecret } from '../../packages/server/src/crypto/secrets.js';
import { checkTotalTime, parseMicroOptions, printReport, runCases } from './harness.js';
import { exitOnUsageError } from '../command-line.js';

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

// The OWASP Password Storage Cheat Sheet's recommendations for human passwords: PBKDF2-HMAC-SHA256
// with 600,000 iterations, scrypt with N=2^17, r=8, p=1, and argon2id with 19 MiB, 2 passes and
// one lane, which are also @node-rs/argon2 2.2's defaults and what Tessera uses for admin passwords.
const PBKDF2_ITERATIONS = 600_000;
// Algorithm.Argon2id of @node-rs/argon2, a const enum that isolatedModules cannot import.
const ARGON2ID = 2;
const SCRYPT_PARAMETERS = { N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 2 ** 20 };

/** Compares with timingSafeEqual after a length check, as client-auth.ts does. */
function sameBytes(stored: Buffer, presented: Buffer): boolean {
  if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) throw new Error('the benchmark secret did not match');
  return true;
}

const options = parseMicroOptions({ seconds: 2, rounds: 5 });

const keyMaterial = new KeyMaterial(randomBytes(32));
const secret = generateClientSecret();
const salt = randomBytes(16);

const storedHmac = Buffer.from(keyMaterial.hashSecret(secret));
const hmacKey = createSecretKey(keyMaterial.secretHashKey);
const storedSha256 = createHash('sha256').update(secret).digest();
const storedPbkdf2 = await pbkdf2Async(secret, salt, PBKDF2_ITERATIONS, 32, 'sha256');
const storedScrypt = await scryptAsync(secret, salt, 32, SCRYPT_PARAMETERS);
const storedArgon2 = await argon2Hash(secret, { algorithm: ARGON2ID });

const cases = [
  {
    name: 'Tessera: HMAC-SHA256 (master-key derived key) + timingSafeEqual',
    note: 'keyMaterial.hashSecret as in client-auth.ts; a copy of the database without the master key cannot test guesses',
    run: () => sameBytes(storedHmac, Buffer.from(keyMaterial.hashSecret(secret))),
  },
  {
    name: 'HMAC-SHA256 with a KeyObject made once + timingSafeEqual',
    note: 'the same hash with the key imported once instead of on each call',
    run: () => sameBytes(storedHmac, Buffer.from(createHmac('sha256', hmacKey).update(secret).digest('base64url'))),
  },
  {
    name: 'SHA-256, no key + timingSafeEqual',
    note: 'no key: a copy of the database alone lets anyone check whether a secret found elsewhere, such as in a log, is valid',
    run: () => sameBytes(storedSha256, createHash('sha256').update(secret).digest()),
  },
  {
    name: `PBKDF2-HMAC-SHA256, ${PBKDF2_ITERATIONS.toLocaleString('en-US')} iterations`,
    note: 'slows guessing of low-entropy passwords; runs on the libuv thread pool (4 threads by default)',
    run: async () => sameBytes(storedPbkdf2, await pbkdf2Async(secret, salt, PBKDF2_ITERATIONS, 32, 'sha256')),
  },
  {
    name: 'scrypt, N=2^17, r=8, p=1 (128 MiB)',
    note: 'memory-hard; each check allocates 128 MiB on the libuv thread pool',
    run: async () => sameBytes(storedScrypt, await scryptAsync(secret, salt, 32, SCRYPT_PARAMETERS)),
  },
  {
    name: 'argon2id verify, m=19 MiB, t=2, p=1 (@node-rs/argon2)',
    note: 'what the admin sign-in uses for passwords; runs off the main thread',
    run: async () => {
      if (!(await argon2Verify(storedArgon2, secret))) throw new Error('the benchmark secret did not match');
    },
  },
];
exitOnUsageError(() => checkTotalTime(options, cases.length));

const results = await runCases(cases, options);
printReport('Checking one client secret', options, results, [
  `The secret comes from Tessera's generator: 256 random bits, ${secret.length} characters. Each row checks the right secret against a hash stored at start, one check at a time, so the slow hashes use one thread pool thread and a server could run several checks at once on more cores.`,
  'A client secret is random and never chosen by a person, so guessing it is out of reach whatever the hash, and a slow hash adds no protection against guessing. What it would add is a CPU cost per token request, which any client can trigger, also with wrong secrets. The HMAC key also keeps a stolen copy of the database useless for checking secrets unless the master key is stolen too.',
]);
