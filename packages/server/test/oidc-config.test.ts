import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../src/config.js';
import { ManualClock } from '../src/clock.js';
import { IdentityProvider, ProviderUnavailableError } from '../src/oidc/identity-provider.js';
import { readGroups } from '../src/oidc/provision-admin.js';
import { mapGroupsToRole, parseRoleMap } from '../src/oidc/role-map.js';

const VALID = {
  TESSERA_OIDC_ISSUER: 'https://sso.example.com/realms/staff',
  TESSERA_OIDC_CLIENT_ID: 'tessera',
  TESSERA_OIDC_CLIENT_SECRET: 'a-client-secret-value',
  TESSERA_OIDC_ROLE_MAP: '{"tessera-admins": "admin"}',
};

function configWith(env: Record<string, string>) {
  return loadConfig({}, { ...VALID, ...env });
}

function assertConfigError(env: Record<string, string>, message: RegExp): void {
  assert.throws(() => configWith(env), (error: unknown) => error instanceof ConfigError && message.test(error.message));
}

describe('OIDC configuration', () => {
  it('is off without TESSERA_OIDC_*', () => {
    assert.equal(loadConfig({}, {}).oidc, undefined);
  });

  it('uses the documented defaults', () => {
    const oidc = configWith({}).oidc!;

    assert.equal(oidc.issuer, 'https://sso.example.com/realms/staff');
    assert.deepEqual(oidc.scopes, ['openid', 'profile', 'email']);
    assert.equal(oidc.groupsClaim, 'groups');
    assert.equal(oidc.usernameClaim, 'preferred_username');
    assert.equal(oidc.displayName, 'SSO');
    assert.equal(oidc.linkLocalAdmins, false);
    assert.deepEqual(oidc.roleMap.get('tessera-admins'), { role: 'admin' });
  });

  it('reads every setting', () => {
    const oidc = configWith({
      TESSERA_OIDC_SCOPES: 'openid groups',
      TESSERA_OIDC_GROUPS_CLAIM: 'realm_access.roles',
      TESSERA_OIDC_USERNAME_CLAIM: 'email',
      TESSERA_OIDC_DISPLAY_NAME: 'Keycloak',
      TESSERA_OIDC_LINK_LOCAL_ADMINS: 'true',
    }).oidc!;

    assert.deepEqual(oidc.scopes, ['openid', 'groups']);
    assert.equal(oidc.groupsClaim, 'realm_access.roles');
    assert.equal(oidc.usernameClaim, 'email');
    assert.equal(oidc.displayName, 'Keycloak');
    assert.equal(oidc.linkLocalAdmins, true);
  });

  it('requires all four base settings', () => {
    assert.throws(
      () => loadConfig({}, { TESSERA_OIDC_ISSUER: VALID.TESSERA_OIDC_ISSUER }),
      /TESSERA_OIDC_CLIENT_ID, TESSERA_OIDC_CLIENT_SECRET, TESSERA_OIDC_ROLE_MAP must be set for OIDC sign-in, because TESSERA_OIDC_ISSUER is set/,
    );
  });

  it('rejects plain http off loopback', () => {
    assertConfigError({ TESSERA_OIDC_ISSUER: 'http://sso.example.com' }, /TESSERA_OIDC_ISSUER must use https; plain http is allowed only on a loopback address/);
    assert.equal(configWith({ TESSERA_OIDC_ISSUER: 'http://127.0.0.1:9000' }).oidc!.issuer, 'http://127.0.0.1:9000');
    assert.equal(configWith({ TESSERA_OIDC_ISSUER: 'http://[::1]:9000' }).oidc!.issuer, 'http://[::1]:9000');
  });

  it('rejects an issuer that is not a URL', () => {
    assertConfigError({ TESSERA_OIDC_ISSUER: 'sso.example.com' }, /TESSERA_OIDC_ISSUER must be the identity provider's issuer URL/);
    assertConfigError({ TESSERA_OIDC_ISSUER: 'https://sso.example.com/?realm=x' }, /must not contain credentials, a query or a fragment/);
    assertConfigError({ TESSERA_OIDC_ISSUER: 'ftp://sso.example.com' }, /TESSERA_OIDC_ISSUER must be an https URL/);
  });

  it('rejects scopes without openid', () => {
    assertConfigError({ TESSERA_OIDC_SCOPES: 'profile email' }, /TESSERA_OIDC_SCOPES must include openid/);
    assertConfigError({ TESSERA_OIDC_SCOPES: 'openid "quoted"' }, /TESSERA_OIDC_SCOPES has the invalid scope ""quoted""/);
  });

  it('rejects a bad claim name or switch', () => {
    assertConfigError({ TESSERA_OIDC_GROUPS_CLAIM: 'groups claim' }, /TESSERA_OIDC_GROUPS_CLAIM must be a claim name/);
    assertConfigError({ TESSERA_OIDC_USERNAME_CLAIM: '.name' }, /TESSERA_OIDC_USERNAME_CLAIM must be a claim name/);
    assertConfigError({ TESSERA_OIDC_LINK_LOCAL_ADMINS: 'yes' }, /TESSERA_OIDC_LINK_LOCAL_ADMINS must be true or false; got "yes"/);
    assertConfigError({ TESSERA_OIDC_DISPLAY_NAME: 'x'.repeat(61) }, /TESSERA_OIDC_DISPLAY_NAME must be at most 60 printable characters/);
  });

  const badRoleMaps: [string, string, RegExp][] = [
    ['invalid JSON', '{"a": ', /TESSERA_OIDC_ROLE_MAP is not valid JSON/],
    ['a list', '["tessera-admins"]', /TESSERA_OIDC_ROLE_MAP must be a JSON object from group name to role/],
    ['no groups', '{}', /TESSERA_OIDC_ROLE_MAP maps no group/],
    ['an unknown role', '{"ops": "owner"}', /group "ops" must map to "admin", "auditor"/],
    ['instance-admin without instances', '{"ops": "instance-admin"}', /group "ops" maps to instance-admin without instances/],
    ['an empty instance list', '{"ops": {"role": "instance-admin", "instances": []}}', /"instances" must be a non-empty list of instance slugs/],
    ['a bad slug', '{"ops": {"role": "instance-admin", "instances": ["Jira Prod"]}}', /group "ops" lists "Jira Prod", which is not an instance slug/],
    ['instances on admin', '{"ops": {"role": "admin", "instances": ["jira"]}}', /instances applies only to the instance-admin role/],
    ['an unknown field', '{"ops": {"role": "auditor", "scope": "x"}}', /group "ops" has the unknown field "scope"/],
  ];
  for (const [label, roleMap, message] of badRoleMaps) {
    it(`role map rejects ${label}`, () => assertConfigError({ TESSERA_OIDC_ROLE_MAP: roleMap }, message));
  }

  it('error messages hold no client secret', () => {
    const secret = 'the-secret-that-must-not-leak';
    const wrongSettings: Record<string, string>[] = [{ TESSERA_OIDC_ISSUER: 'http://sso.example.com' }, { TESSERA_OIDC_ROLE_MAP: '{}' }, { TESSERA_OIDC_SCOPES: 'email' }];
    for (const env of wrongSettings) {
      assert.throws(() => configWith({ ...env, TESSERA_OIDC_CLIENT_SECRET: secret }), (error: Error) => !error.message.includes(secret));
    }
  });
});

describe('tessera serve OIDC flags', () => {
  it('flag wins over the environment and is checked', () => {
    const cli = fileURLToPath(new URL('../bin/tessera.js', import.meta.url));
    const env = { ...process.env, ...VALID, TESSERA_DATABASE_URL: '' };
    const result = spawnSync(process.execPath, [cli, 'serve', '--oidc-issuer', 'http://sso.example.com'], { encoding: 'utf8', env });

    assert.equal(result.status, 2);
    assert.match(result.stderr, /^tessera: TESSERA_OIDC_ISSUER must use https; plain http is allowed only on a loopback address/);
    assert.ok(!result.stderr.includes(VALID.TESSERA_OIDC_CLIENT_SECRET));
  });
});

describe('group to role mapping', () => {
  const roleMap = parseRoleMap(
    JSON.stringify({
      admins: 'admin',
      auditors: 'auditor',
      'jira-admins': { role: 'instance-admin', instances: ['jira'] },
      'wiki-admins': { role: 'instance-admin', instances: ['wiki', 'jira'] },
    }),
  );

  it('admin wins over other roles', () => {
    assert.deepEqual(mapGroupsToRole(roleMap, ['auditors', 'jira-admins', 'admins']), { role: 'admin', instanceSlugs: [], matchedGroups: ['admins'] });
  });

  it('instance-admin wins over auditor and unites instances', () => {
    assert.deepEqual(mapGroupsToRole(roleMap, ['auditors', 'wiki-admins', 'jira-admins', 'staff']), {
      role: 'instance-admin',
      instanceSlugs: ['jira', 'wiki'],
      matchedGroups: ['jira-admins', 'wiki-admins'],
    });
  });

  it('auditor alone stays auditor', () => {
    assert.deepEqual(mapGroupsToRole(roleMap, ['auditors']), { role: 'auditor', instanceSlugs: [], matchedGroups: ['auditors'] });
  });

  it('unmapped groups give no role', () => {
    assert.equal(mapGroupsToRole(roleMap, ['staff', 'Admins']), undefined);
    assert.equal(mapGroupsToRole(roleMap, []), undefined);
  });

  it('reads groups from a nested claim or a single string', () => {
    assert.deepEqual(readGroups({ realm_access: { roles: ['admins', 7] } }, 'realm_access.roles'), ['admins']);
    assert.deepEqual(readGroups({ groups: 'admins' }, 'groups'), ['admins']);
    assert.deepEqual(readGroups({ 'https://example.com/groups': ['a'] }, 'https://example.com/groups'), ['a']);
    assert.equal(readGroups({}, 'groups'), undefined);
  });
});

describe('identity provider metadata', () => {
  it('unreachable provider raises ProviderUnavailableError', async () => {
    // A port that was just free on loopback, so that the connection is refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const oidc = configWith({ TESSERA_OIDC_ISSUER: `http://127.0.0.1:${port}` }).oidc!;
    const provider = new IdentityProvider(oidc, new ManualClock());
    const values = { state: 's', nonce: 'n', codeVerifier: 'v'.repeat(43) };

    await assert.rejects(provider.authorizationUrl('http://127.0.0.1/callback', values), (error: Error) => {
      assert.ok(error instanceof ProviderUnavailableError);
      assert.match(error.message, new RegExp(`reading the metadata of http://127.0.0.1:${port} failed`));
      assert.ok(!error.message.includes(oidc.clientSecret));
      return true;
    });
  });
});
