import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '../src/index.js';
import { RevocationList } from '../src/revocation-list.js';
import { TokenCache } from '../src/token-cache.js';

let now = 1_000_000;
const clock = () => now;

function principal(expiresAt: number, overrides: Partial<Principal> = {}): Principal {
  return { accountId: 'a', clientId: 'c', credentialId: 'k', instance: 'i', audience: 'x', scopes: [], resources: {}, tokenId: 't', expiresAt, generation: 0, ...overrides };
}

describe('token cache', () => {
  it('evicts the least recently used entry', () => {
    const cache = new TokenCache(2, clock);
    cache.set('one', principal(now + 1000));
    cache.set('two', principal(now + 1000));
    assert.ok(cache.get('one'));
    cache.set('three', principal(now + 1000));

    assert.ok(cache.get('one'));
    assert.equal(cache.get('two'), undefined);
    assert.ok(cache.get('three'));
    assert.equal(cache.size, 2);
  });

  it('never returns an entry at or after exp', () => {
    const cache = new TokenCache(10, clock);
    cache.set('token', principal(now + 1000));
    now += 999;
    assert.ok(cache.get('token'));
    now += 1;
    assert.equal(cache.get('token'), undefined);
    assert.equal(cache.size, 0);
  });

  it('stores nothing when its size is 0 or the token expired', () => {
    const off = new TokenCache(0, clock);
    off.set('token', principal(now + 1000));
    assert.equal(off.size, 0);

    const cache = new TokenCache(10, clock);
    cache.set('old', principal(now - 1));
    assert.equal(cache.size, 0);
  });

  it('keys by a hash, not the token', () => {
    const key = TokenCache.keyOf('header.payload.signature');
    assert.equal(key.length, 43);
    assert.ok(!key.includes('payload'));
  });
});

describe('revocation list', () => {
  it('forgets entries once no token they match can be valid', () => {
    const list = new RevocationList(clock, 30_000);
    list.apply({ kind: 'credential', accountId: 'a', credentialId: 'k', effectiveAt: now });
    list.apply({ kind: 'account', accountId: 'a', generation: 3 });
    list.apply({ kind: 'account_deleted', accountId: 'b' });
    list.apply({ kind: 'token', tokenId: 't', expiresAt: now + 60_000 });
    assert.equal(list.size, 4);

    now += 60_000 + 30_000;
    list.prune();
    assert.equal(list.size, 3);

    now += 24 * 3600 * 1000;
    list.prune();
    assert.equal(list.size, 0);
  });

  it('keeps the earliest effective time and the highest generation', () => {
    const list = new RevocationList(clock, 0);
    list.apply({ kind: 'credential', accountId: 'a', credentialId: 'k', effectiveAt: now + 600_000 });
    list.apply({ kind: 'credential', accountId: 'a', credentialId: 'k', effectiveAt: now });
    list.apply({ kind: 'credential', accountId: 'a', credentialId: 'k', effectiveAt: now + 900_000 });
    list.apply({ kind: 'account', accountId: 'a', generation: 5 });
    list.apply({ kind: 'account', accountId: 'a', generation: 2 });

    assert.equal(list.isRevoked(principal(now + 1000, { generation: 5, credentialId: 'other' })), false);
    assert.equal(list.isRevoked(principal(now + 1000, { generation: 4, credentialId: 'other' })), true);
    assert.equal(list.isRevoked(principal(now + 1000, { generation: 5 })), true);
  });
});
