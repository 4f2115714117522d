import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { TEST_DIALECT } from './support/server.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs a benchmark script with `args`, which must fail before the script starts anything. */
function runScript(script: string, args: string[]): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${script}`, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stderr: result.stderr };
}

// Every script parses its options before it starts a server, so these runs end at once.
const CASES: [script: string, args: string[], message: RegExp][] = [
  ['token-throughput.ts', ['--bogus'], /^error: Unknown option '--bogus'\. The accepted options are --runs, /],
  ['token-throughput.ts', ['--runs', '0'], /^error: --runs must be a whole number from 1 to 20; got "0"\./],
  ['cluster-throughput.ts', ['--bogus'], /^error: Unknown option '--bogus'\./],
  ['profile-token.ts', ['--kind', 'login'], /^error: --kind must be one of token, introspection, opaque-introspection; got "login"\./],
  ['admin-scale.ts', ['--bogus'], /^error: Unknown option '--bogus'\./],
  ['guard-verify.ts', ['--bogus'], /^error: Unknown option '--bogus'\. The accepted options are --duration, --rounds, --concurrency, --tokens\./],
  ['guard-verify.ts', ['--duration', '30', '--rounds', '3'], /^error: --duration times --rounds times 3 cases must stay within 120 seconds; got 270\./],
  ['guard-verify.ts', ['--concurrency', 'many'], /^error: --concurrency must be a whole number from 1 to 10000; got "many"\./],
  ['audit-export-memory.ts', ['--bogus'], /^error: Unknown option '--bogus'\. The accepted options are --events, --server-heap-mib\./],
  ['audit-export-memory.ts', ['--events', '0'], /^error: --events must be a whole number from 1 to 10000000; got "0"\./],
  ['audit-export-memory.ts', ['--server-heap-mib', '2'], /^error: --server-heap-mib must be a whole number from 16 to 16384; got "2"\./],
  ['micro/callgrind-token.ts', ['--bogus'], /^error: Unknown option '--bogus'\. The accepted options are --warmup, --requests, --targets, --keep\./],
  ['micro/callgrind-token.ts', ['--targets', 'tessera,peer'], /^error: --targets must list tessera, bare or both, separated by commas; got "peer"\./],
  ['micro/callgrind-token.ts', ['--warmup', '-5'], /^error: --warmup must be a whole number from 0 to 20000; got "-5"\./],
  ['micro/audit-writer.ts', ['--bogus'], /^error: Unknown option '--bogus'\./],
  ['micro/signing.ts', ['--bogus'], /^error: Unknown option '--bogus'\./],
];

describe('benchmark options', { skip: TEST_DIALECT !== 'sqlite' && 'runs once, in the SQLite pass' }, () => {
  for (const [script, args, message] of CASES) {
    it(`${script} rejects ${args.join(' ')}`, () => {
      const result = runScript(script, args);

      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, `one line, no stack trace: ${result.stderr}`);
    });
  }
});
