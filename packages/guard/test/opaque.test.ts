import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CreatedAccount, type TestServer, createAccount, requestToken, startTestServer } from '../../server/test/support/server.js';
import type { Guard } from '../src/index.js';
import { bearer, guardFor } from './support.js';

const VAULT_AUDIENCE = 'https://vault.example.com';

describe('guard with opaque tokens', () => {
  let server: TestServer;
  let product: CreatedAccount;
  let account: CreatedAccount;
  let guard: Guard;

  before(async () => {
    server = await startTestServer();
    await server.admin.post('/instances', { slug: 'vault', name: 'Vault', profile: 'generic', audience: VAULT_AUDIENCE, tokenFormat: 'opaque' });
    product = await createAccount(server, { name: 'vault-product', access: [{ instance: 'vault', scopes: ['READ'] }] });
    account = await createAccount(server, { name: 'vault-user', access: [{ instance: 'vault', scopes: ['WRITE'], resources: { resource: ['db-1'] } }] });
    guard = guardFor(server, product, { audience: VAULT_AUDIENCE, profile: 'generic', introspectionCacheMs: 2000 });
    await guard.start();
  });

  after(async () => {
    await guard.close();
    await server.close();
  });

  it('accepts an opaque token by introspection', async () => {
    const token = (await requestToken(server, account)).body.access_token;
    const result = await guard.authenticate(bearer(token));

    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.principal.accountId, account.id);
    assert.equal(result.principal.credentialId, account.credentialId);
    assert.deepEqual(result.principal.scopes, ['WRITE']);
    assert.equal(guard.requireScope(result.principal, 'READ'), undefined);
    assert.equal(guard.requireResource(result.principal, { type: 'resource', id: 'db-1' }), undefined);
    assert.equal(guard.requireResource(result.principal, { type: 'resource', id: 'db-2' })?.code, 'resource_forbidden');
  });

  it('rejects an unknown opaque token', async () => {
    const result = await guard.authenticate(bearer(`tso_${'B'.repeat(43)}`));

    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.error.code, 'inactive');
    assert.equal(result.error.status, 401);
  });

  it('sees a revocation once the cached answer ages out', async () => {
    const token = (await requestToken(server, account)).body.access_token;
    assert.equal((await guard.authenticate(bearer(token))).ok, true);

    await server.admin.delete(`/service-accounts/${account.id}/credentials/${account.credentialId}`);
    server.clock.advance(2001);
    const result = await guard.authenticate(bearer(token));

    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.error.code, 'inactive');
  });
});
