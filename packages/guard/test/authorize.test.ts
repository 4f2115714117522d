import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findProfile } from '@tessera/shared';
import { Authorizer } from '../src/authorize.js';
import { GUARD_ERRORS, GuardError, type Principal } from '../src/index.js';
import { RecordingLogger } from './support.js';

function principal(scopes: string[], resources: Principal['resources'] = {}): Principal {
  return { accountId: 'a', clientId: 'c', credentialId: 'k', instance: 'i', audience: 'x', scopes, resources, tokenId: 't', expiresAt: Date.now() + 60_000, generation: 0 };
}

describe('authorizer', () => {
  const logger = new RecordingLogger();
  const bitbucket = new Authorizer(findProfile('bitbucket')!, logger);
  const jira = new Authorizer(findProfile('jira')!, logger);

  it('follows implication chains of any length', () => {
    const admin = principal(['PROJECT_ADMIN']);
    for (const scope of ['PROJECT_ADMIN', 'REPO_ADMIN', 'REPO_WRITE', 'REPO_READ', 'PUBLIC_REPOS']) assert.equal(bitbucket.requireScope(admin, scope), undefined, scope);

    const reader = principal(['REPO_READ']);
    assert.equal(bitbucket.requireScope(reader, 'PUBLIC_REPOS'), undefined);
    assert.equal(bitbucket.requireScope(reader, 'REPO_WRITE')?.code, 'insufficient_scope');
  });

  it('denies a scope the profile does not define, and warns once', () => {
    const holder = principal(['made:up']);
    assert.equal(jira.requireScope(holder, 'made:up')?.code, 'insufficient_scope');
    assert.equal(jira.requireScope(holder, 'made:up')?.code, 'insufficient_scope');

    const warnings = logger.entries.filter((entry) => entry.details.scope === 'made:up');
    assert.equal(warnings.length, 1);
  });

  it('denies a resource type the profile does not define', () => {
    const holder = principal(['READ'], { space: '*' });
    assert.equal(jira.requireResource(holder, { type: 'space', id: 'DOCS' })?.code, 'resource_forbidden');
  });

  it('denies a type that is absent or inherited', () => {
    const holder = principal(['READ'], { repository: '*' });
    assert.equal(bitbucket.requireResource(holder, { type: 'project', id: 'OPS' })?.code, 'resource_forbidden');
    assert.equal(bitbucket.requireResource(holder, { type: 'repository', id: 'anything' }), undefined);
  });

  it('quotes only safe characters back in the challenge', () => {
    const denied = jira.requireResource(principal(['READ'], { project: [] }), { type: 'project', id: 'A"B\\C\u00e9\r\n' });
    assert.ok(denied);
    assert.equal(denied.wwwAuthenticate, 'Bearer error="insufficient_scope", error_description="The access token does not grant access to project A?B?C???."');
    assert.equal(denied.description, 'The access token does not grant access to project A"B\\C\u00e9\r\n.');
  });
});

describe('guard errors', () => {
  it('map each code to 401, 403 or 503', () => {
    for (const code of Object.keys(GUARD_ERRORS) as Array<keyof typeof GUARD_ERRORS>) {
      const error = new GuardError(code);
      let expected = 401;
      if (code === 'insufficient_scope' || code === 'resource_forbidden') expected = 403;
      if (code === 'temporarily_unavailable') expected = 503;
      assert.equal(error.status, expected, code);
      assert.equal(error.code, code);
      assert.equal(error.name, 'GuardError');
      if (expected === 503) assert.equal(error.wwwAuthenticate, undefined);
      else if (['invalid_dpop_proof', 'dpop_bound_token', 'token_not_bound'].includes(code)) assert.match(error.wwwAuthenticate ?? '', /^DPoP .*, algs="ES256 EdDSA RS256 PS256"$/);
      else assert.match(error.wwwAuthenticate ?? '', /^Bearer/);
    }
  });
});
