// Runs every *.test.ts file under packages/*/test with node:test through tsx.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(directory) {
  const found = [];
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const roots = readdirSync('packages').map((name) => join('packages', name, 'test')).filter((path) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
});
const files = roots.flatMap(findTests).sort();
const filter = process.argv[2];
const selected = filter ? files.filter((file) => file.includes(filter)) : files;

if (selected.length === 0) {
  console.error(filter ? `No test file matches "${filter}".` : 'No test files found under packages/*/test.');
  process.exit(1);
}

// A test that hangs fails after two minutes instead of stalling the whole run.
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=120000', ...selected], { stdio: 'inherit' });
process.exit(result.status ?? 1);
