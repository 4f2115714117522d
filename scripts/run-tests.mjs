// Runs every *.test.ts file under packages/*/test with node:test through tsx: first on SQLite,
// then, when TESSERA_TEST_POSTGRES_URL is set, again on PostgreSQL. Tests under a `panel`
// folder drive a browser and run on SQLite only, since the panel does not depend on the
// database; tests under a `cluster` folder need PostgreSQL and run only in that pass.
//
// Usage: node scripts/run-tests.mjs [part-of-file-name]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

function findTests(directory) {
  const found = [];
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const roots = ['packages', 'examples'].flatMap((parent) => readdirSync(parent).map((name) => join(parent, name, 'test'))).filter((path) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
});
const filter = process.argv[2];
const files = roots.flatMap(findTests).sort().filter((file) => !filter || file.includes(filter));
const inFolder = (file, folder) => file.split(sep).includes(folder);

if (files.length === 0) {
  console.error(filter ? `No test file matches "${filter}".` : 'No test files found under packages/*/test.');
  process.exit(1);
}

function run(label, selected, env) {
  if (selected.length === 0) return 0;
  console.log(`\n=== ${label}: ${selected.length} test files ===\n`);
  // A test that hangs fails after two minutes instead of stalling the whole run.
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=120000', ...selected], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  return result.status ?? 1;
}

let status = run('SQLite', files.filter((file) => !inFolder(file, 'cluster')), { TESSERA_TEST_DATABASE: 'sqlite' });

if (process.env.TESSERA_TEST_POSTGRES_URL) {
  const postgresStatus = run('PostgreSQL', files.filter((file) => !inFolder(file, 'panel')), { TESSERA_TEST_DATABASE: 'postgres' });
  status = status || postgresStatus;
} else {
  console.log('\nTESSERA_TEST_POSTGRES_URL is not set, so the PostgreSQL pass and the cluster tests did not run.');
}

process.exit(status);
