import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ADMIN_ERRORS, METRICS_ERRORS, OAUTH_ERRORS, OIDC_SIGN_IN_ERRORS } from '@tessera/shared';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

function section(heading: string): string {
  const found = docs.split(/^## /m).find((part) => part.startsWith(heading));
  assert.ok(found, `docs/errors.md has no "## ${heading}" section`);
  return found;
}

/** Rows of the table under a heading: code and status. */
function documentedCodes(heading: string): Map<string, number> {
  const text = section(heading);

  const rows = new Map<string, number>();
  for (const match of text.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)) rows.set(match[1], Number(match[2]));
  return rows;
}

describe('error catalogue and docs', () => {
  it('documents every OAuth error code', () => {
    const documented = documentedCodes('OAuth endpoints');

    assert.deepEqual([...documented.keys()].sort(), Object.keys(OAUTH_ERRORS).sort());
    for (const [code, entry] of Object.entries(OAUTH_ERRORS)) assert.equal(documented.get(code), entry.status, `status of ${code}`);
  });

  it('documents every admin API error code', () => {
    const documented = documentedCodes('Admin API');

    assert.deepEqual([...documented.keys()].sort(), Object.keys(ADMIN_ERRORS).sort());
    for (const [code, entry] of Object.entries(ADMIN_ERRORS)) assert.equal(documented.get(code), entry.status, `status of ${code}`);
  });

  it('documents every metrics error code', () => {
    const documented = documentedCodes('Metrics endpoint');

    assert.deepEqual([...documented.keys()].sort(), Object.keys(METRICS_ERRORS).sort());
    for (const [code, entry] of Object.entries(METRICS_ERRORS)) assert.equal(documented.get(code), entry.status, `status of ${code}`);
  });

  it('documents every OIDC sign-in error code', () => {
    const documented = [...section('OIDC sign-in').matchAll(/^\| `([a-z_]+)` \|/gm)].map((match) => match[1]);

    assert.deepEqual(documented.sort(), Object.keys(OIDC_SIGN_IN_ERRORS).sort());
  });
});
