import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ANY_ACCOUNT, RoleStore, parseRoles } from '../src/roles.js';

const subject = { accountId: 'account-1', clientId: 'tsc_client1' };

describe('tracker roles', () => {
  test('most specific entry wins', () => {
    const roles = new RoleStore();
    roles.assign('ABC', ANY_ACCOUNT, 'viewer');
    assert.equal(roles.roleOf('ABC', subject), 'viewer');

    roles.assign('ABC', subject.clientId, 'developer');
    assert.equal(roles.roleOf('ABC', subject), 'developer');

    roles.assign('abc', subject.accountId, 'viewer');
    assert.equal(roles.roleOf('ABC', subject), 'viewer');
  });

  test('no entry means no role', () => {
    const roles = new RoleStore();
    roles.assign('ABC', 'someone-else', 'developer');
    assert.equal(roles.roleOf('ABC', subject), undefined);
    assert.equal(roles.roleOf('OPS', subject), undefined);
  });

  test('parses and serialises the file format', () => {
    const json = { projects: { ABC: { tsc_client1: 'developer', '*': 'viewer' }, OPS: { '*': 'viewer' } } };
    const roles = parseRoles(json);
    assert.equal(roles.roleOf('ABC', subject), 'developer');
    assert.equal(roles.roleOf('OPS', subject), 'viewer');
    assert.deepEqual(roles.toJSON(), json);
  });

  const invalid: [string, unknown, RegExp][] = [
    ['not an object', [], /must be a JSON object/],
    ['unknown top-level key', { projects: {}, default: 'viewer' }, /unknown keys: default/],
    ['projects not an object', { projects: ['ABC'] }, /projects must be an object/],
    ['members not an object', { projects: { ABC: 'viewer' } }, /projects\.ABC must map/],
    ['unknown role', { projects: { ABC: { '*': 'admin' } } }, /is "admin"; use one of: viewer, developer/],
  ];
  for (const [name, json, message] of invalid) {
    test(`rejects ${name}`, () => {
      assert.throws(() => parseRoles(json), message);
    });
  }
});
