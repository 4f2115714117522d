import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';

const CLI = fileURLToPath(new URL('../bin/tessera.js', import.meta.url));

describe('configuration', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({}, {});

    assert.equal(config.databaseUrl, './data/tessera.db');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.issuer, 'http://127.0.0.1:8080');
    assert.equal(config.accessTokenLifetimeSeconds, 3600);
    assert.equal(config.masterKey, undefined);
  });

  it('reads trusted proxies and the client address header', () => {
    const config = loadConfig({}, { TESSERA_TRUSTED_PROXIES: '10.0.0.0/8, 2001:db8::1', TESSERA_CLIENT_IP_HEADER: 'X-Real-IP' });

    assert.deepEqual(config.trustedProxies, ['10.0.0.0/8', '2001:db8::1/128']);
    assert.equal(config.clientIpHeader, 'x-real-ip');
    assert.deepEqual(loadConfig({}, {}).trustedProxies, []);
    assert.equal(loadConfig({}, {}).clientIpHeader, 'x-forwarded-for');
  });

  it('rejects a bad trusted proxy or header', () => {
    assert.throws(() => loadConfig({}, { TESSERA_TRUSTED_PROXIES: '10.0.0.0/40' }), /TESSERA_TRUSTED_PROXIES\[0\] "10\.0\.0\.0\/40" has an invalid prefix length/);
    assert.throws(() => loadConfig({}, { TESSERA_TRUSTED_PROXIES: 'proxy.internal' }), /is not an IPv4 or IPv6 CIDR block/);
    assert.throws(() => loadConfig({}, { TESSERA_CLIENT_IP_HEADER: 'X Real IP' }), /TESSERA_CLIENT_IP_HEADER must be an HTTP header name/);
  });

  it('reads the audit sink poll interval', () => {
    assert.equal(loadConfig({}, {}).auditSinkPollMs, 1000);
    assert.equal(loadConfig({}, { TESSERA_AUDIT_SINK_POLL_MS: '250' }).auditSinkPollMs, 250);
    assert.throws(() => loadConfig({}, { TESSERA_AUDIT_SINK_POLL_MS: '10' }), /TESSERA_AUDIT_SINK_POLL_MS must be a whole number from 50 to 3600000; got "10"/);
  });

  it('reads and checks the metrics token', () => {
    assert.equal(loadConfig({}, {}).metricsToken, undefined);
    assert.equal(loadConfig({}, { TESSERA_METRICS_TOKEN: '' }).metricsToken, undefined);
    assert.equal(loadConfig({}, { TESSERA_METRICS_TOKEN: 'scrape-token-0123456789' }).metricsToken, 'scrape-token-0123456789');

    assert.throws(() => loadConfig({}, { TESSERA_METRICS_TOKEN: 'short-secret' }), /TESSERA_METRICS_TOKEN must be at least 16 printable ASCII characters without spaces; got 12 characters/);
    assert.throws(() => loadConfig({}, { TESSERA_METRICS_TOKEN: 'has a space in the middle' }), (error: Error) => !error.message.includes('has a space'));
  });

  it('lets flags win over environment', () => {
    const config = loadConfig({ port: 9001 }, { TESSERA_PORT: '9000', TESSERA_HOST: '0.0.0.0', TESSERA_ISSUER: 'https://tessera.example.com/' });

    assert.equal(config.port, 9001);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.issuer, 'https://tessera.example.com');
  });

  it('rejects a port out of range', () => {
    assert.throws(() => loadConfig({}, { TESSERA_PORT: '70000' }), /TESSERA_PORT must be a whole number from 0 to 65535; got "70000"/);
  });

  it('rejects an issuer that is not a URL', () => {
    assert.throws(() => loadConfig({}, { TESSERA_ISSUER: 'tessera.example.com' }), /TESSERA_ISSUER \(or --issuer\) must be an absolute http or https URL/);
  });

  it('rejects an issuer with a query', () => {
    assert.throws(() => loadConfig({}, { TESSERA_ISSUER: 'https://tessera.example.com/?x=1' }), /must not contain credentials, a query or a fragment/);
  });

  it('rejects an issuer with credentials', () => {
    assert.throws(() => loadConfig({}, { TESSERA_ISSUER: 'https://user:pass@tessera.example.com' }), /must not contain credentials/);
  });

  it('rejects a port in hex or exponent form', () => {
    assert.throws(() => loadConfig({}, { TESSERA_PORT: '0x46b0' }), /TESSERA_PORT must be a whole number/);
    assert.throws(() => loadConfig({}, { TESSERA_PORT: '1e4' }), /TESSERA_PORT must be a whole number/);
  });

  it('rejects an unknown log level', () => {
    assert.throws(() => loadConfig({}, { TESSERA_LOG_LEVEL: 'bogus' }), /TESSERA_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "bogus"/);
  });

  it('rejects a token lifetime out of range', () => {
    assert.throws(() => loadConfig({}, { TESSERA_ACCESS_TOKEN_LIFETIME: '10' }), /TESSERA_ACCESS_TOKEN_LIFETIME must be a whole number from 60 to 86400/);
  });
});

describe('tessera CLI', () => {
  function run(args: string[], env: Record<string, string> = {}) {
    return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, TESSERA_DATABASE_URL: '', ...env } });
  }

  it('migrate creates and updates a database', () => {
    const directory = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    const database = join(directory, 'nested', 'tessera.db');

    const first = run(['migrate', '--database-url', database]);
    const second = run(['migrate', '--database-url', database]);
    rmSync(directory, { recursive: true, force: true });

    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /Applied migrations: 0001_initial/);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /up to date/);
  });

  it('serve exits 2 on a bad port', () => {
    const result = run(['serve'], { TESSERA_PORT: 'eighty' });

    assert.equal(result.status, 2);
    assert.match(result.stderr, /TESSERA_PORT must be a whole number/);
  });

  it('serve reports an unreachable PostgreSQL', async () => {
    // A port that was just free on loopback, so nothing answers there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));

    const result = run(['serve', '--database-url', `postgres://postgres@127.0.0.1:${port}/tessera`], { TESSERA_DB_CONNECT_TIMEOUT_MS: '2000' });

    assert.equal(result.status, 2);
    assert.match(result.stderr, /cannot reach the database .*ECONNREFUSED/);
  });

  it('audit verify rejects a missing database', () => {
    const result = run(['audit', 'verify', '--database-url', '/nonexistent-tessera-dir/tessera.db']);

    assert.equal(result.status, 2);
    assert.match(result.stderr, /No database at \/nonexistent-tessera-dir\/tessera.db/);
  });

  it('serve rejects a bad --port flag', () => {
    const result = run(['serve', '--port', '-1']);

    assert.equal(result.status, 2);
    assert.match(result.stderr, /must be a whole number from 0 to 65535/);
  });
});
