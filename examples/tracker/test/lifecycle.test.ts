import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGuard } from '@tessera/guard';
import { RoleStore } from '../src/roles.js';
import { Tracker } from '../src/tracker.js';

test('tracker without guard returns 503', async () => {
  const tracker = new Tracker({ roles: new RoleStore() });
  try {
    const baseUrl = await tracker.listen({ host: '127.0.0.1', port: 0 });
    const response = await fetch(`${baseUrl}/rest/api/2/project`);
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '5');
    assert.deepEqual(Object.keys(await response.json()), ['errorMessages', 'errors']);
  } finally {
    await tracker.close();
  }
});

test('tracker rejects a non-jira guard', async () => {
  const tracker = new Tracker({ roles: new RoleStore() });
  try {
    // The guard names the tracker itself as issuer and is never started, so it sends no request.
    const baseUrl = await tracker.listen({ host: '127.0.0.1', port: 0 });
    const guard = createGuard({ issuer: baseUrl, audience: baseUrl, profile: 'confluence' });
    await assert.rejects(tracker.useGuard(guard), /needs a guard with the jira profile, not confluence/);
  } finally {
    await tracker.close();
  }
});
