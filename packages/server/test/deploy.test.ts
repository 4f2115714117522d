import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

/** Parses a systemd unit into sections of key and values; a key may repeat. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;

    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const entry = /^([A-Za-z]+)=(.*)$/.exec(line);
    assert.ok(entry, `not a key=value line: "${line}"`);
    assert.ok(current, `"${line}" comes before the first section`);
    current.set(entry[1], [...(current.get(entry[1]) ?? []), entry[2]]);
  }
  return sections;
}

/** Splits a Containerfile into its stages, each a list of [instruction, arguments]. */
function parseStages(text: string): [string, string][][] {
  const joined = text.replace(/\\\n/g, ' ');
  const stages: [string, string][][] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;

    const match = /^([A-Z]+)\s+(.*)$/.exec(line);
    assert.ok(match, `not an instruction: "${line}"`);
    if (match[1] === 'FROM') stages.push([]);
    assert.ok(stages.length > 0, `"${line}" comes before the first FROM`);
    stages.at(-1)!.push([match[1], match[2]]);
  }
  return stages;
}

describe('systemd unit', () => {
  const text = read('deploy/tessera.service');
  const unit = parseUnit(text);
  const service = unit.get('Service') ?? new Map<string, string[]>();

  it('has the three sections', () => {
    assert.deepEqual([...unit.keys()], ['Unit', 'Service', 'Install']);
    assert.deepEqual(unit.get('Install')?.get('WantedBy'), ['multi-user.target']);
  });

  it('starts the installed bin as its own user', () => {
    const [execStart] = service.get('ExecStart') ?? [];
    const match = /^\/usr\/bin\/node \/opt\/tessera\/(\S+) serve$/.exec(execStart ?? '');

    assert.ok(match, `ExecStart is "${execStart}"`);
    assert.ok(existsSync(`${root}${match[1]}`), `${match[1]} does not exist in the repository`);
    assert.deepEqual(service.get('User'), ['tessera']);
    assert.deepEqual(service.get('EnvironmentFile'), ['/etc/tessera/tessera.env']);
    assert.deepEqual(service.get('Restart'), ['on-failure']);
  });

  it('is hardened', () => {
    for (const [key, expected] of [
      ['NoNewPrivileges', 'true'],
      ['ProtectSystem', 'strict'],
      ['ReadWritePaths', '/var/lib/tessera'],
      ['PrivateTmp', 'true'],
      ['ProtectHome', 'true'],
      ['CapabilityBoundingSet', ''],
    ]) {
      assert.deepEqual(service.get(key), [expected], key);
    }
  });

  it('passes systemd-analyze verify where it is installed', (t) => {
    const result = spawnSync('systemd-analyze', ['verify', `${root}deploy/tessera.service`], { encoding: 'utf8', timeout: 30_000 });
    if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
      t.skip('systemd-analyze is not installed');
      return;
    }

    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  });
});

describe('Containerfile', () => {
  const stages = parseStages(read('deploy/Containerfile'));
  const [build, final] = stages;
  const instructions = (stage: [string, string][], name: string) => stage.filter(([instruction]) => instruction === name).map(([, args]) => args);

  it('builds in one stage and runs in another, both on Node 20', () => {
    assert.equal(stages.length, 2);
    assert.equal(instructions(build, 'FROM')[0], 'node:20-bookworm-slim AS build');
    assert.equal(instructions(final, 'FROM')[0], 'node:20-bookworm-slim');
  });

  it('keeps build tools out of the final stage', () => {
    assert.ok(instructions(build, 'RUN').some((command) => command.includes('apt-get install') && command.includes('g++')));
    assert.ok(instructions(build, 'RUN').includes('npm ci'));
    assert.ok(instructions(build, 'RUN').includes('npm prune --omit=dev'));
    assert.ok(!instructions(final, 'RUN').some((command) => command.includes('apt-get')), 'the final stage installs packages');
  });

  it('runs as a non-root user with a data volume', () => {
    const users = instructions(final, 'USER');

    assert.deepEqual(users, ['tessera']);
    assert.deepEqual(instructions(final, 'VOLUME'), ['["/data"]']);
    assert.deepEqual(instructions(final, 'EXPOSE'), ['8080']);
    assert.ok(instructions(final, 'ENV')[0].includes('TESSERA_HOST=0.0.0.0'));
    assert.ok(instructions(final, 'ENV')[0].includes('TESSERA_DATABASE_URL=/data/tessera.db'));
  });

  it('checks readiness with node and starts the bin', () => {
    const [healthcheck] = instructions(final, 'HEALTHCHECK');
    const entrypoint = JSON.parse(instructions(final, 'ENTRYPOINT')[0]);

    assert.match(healthcheck, /CMD \["node", "-e", ".*\/readyz/);
    assert.equal(entrypoint[0], 'node');
    assert.ok(existsSync(`${root}${entrypoint[1]}`), `${entrypoint[1]} does not exist in the repository`);
    assert.deepEqual(JSON.parse(instructions(final, 'CMD')[0]), ['serve']);
  });
});

describe('environment file example', () => {
  it('sets only settings that the README documents', () => {
    const readme = read('README.md');
    const names = [...read('deploy/tessera.env.example').matchAll(/^#?(TESSERA_[A-Z_]+)=/gm)].map((match) => match[1]);

    assert.ok(names.length >= 5);
    for (const name of names) assert.ok(readme.includes(`\`${name}\``), `${name} is not in the README's settings table`);
  });
});
