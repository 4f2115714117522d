import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

describe('notification configuration', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({}, {});

    assert.equal(config.notificationIntervalMs, 60_000);
    assert.equal(config.webhookSigningSecret, undefined);
    assert.equal(config.smtpUrl, undefined);
    assert.equal(config.smtpFrom, undefined);
  });

  it('reads the environment', () => {
    const config = loadConfig(
      {},
      {
        TESSERA_NOTIFICATION_INTERVAL_MS: '5000',
        TESSERA_WEBHOOK_SIGNING_SECRET: 'a'.repeat(32),
        TESSERA_SMTP_URL: 'smtps://mailer:s3cret@mail.example.test:465',
        TESSERA_SMTP_FROM: 'tessera@example.test',
      },
    );

    assert.equal(config.notificationIntervalMs, 5000);
    assert.equal(config.webhookSigningSecret, 'a'.repeat(32));
    assert.equal(config.smtpUrl, 'smtps://mailer:s3cret@mail.example.test:465');
    assert.equal(config.smtpFrom, 'tessera@example.test');
  });

  it('rejects an interval out of range', () => {
    assert.throws(() => loadConfig({}, { TESSERA_NOTIFICATION_INTERVAL_MS: '10' }), /TESSERA_NOTIFICATION_INTERVAL_MS must be a whole number from 1000 to 86400000; got "10"/);
  });

  it('rejects a short signing secret', () => {
    assert.throws(() => loadConfig({}, { TESSERA_WEBHOOK_SIGNING_SECRET: 'short' }), /TESSERA_WEBHOOK_SIGNING_SECRET must be at least 32 characters long; got 5/);
  });

  it('rejects an SMTP URL without echoing it', () => {
    for (const url of ['http://mailer:s3cret@mail.example.test', 'not a url s3cret', 'smtp://mailer:s3cret@']) {
      assert.throws(
        () => loadConfig({}, { TESSERA_SMTP_URL: url, TESSERA_SMTP_FROM: 'tessera@example.test' }),
        (error: unknown) => error instanceof ConfigError && error.message.startsWith('TESSERA_SMTP_URL must be an smtp:// or smtps:// URL') && !error.message.includes('s3cret'),
        url,
      );
    }
  });

  it('requires a sender with SMTP', () => {
    assert.throws(() => loadConfig({}, { TESSERA_SMTP_URL: 'smtp://127.0.0.1:2525' }), /TESSERA_SMTP_FROM must be set with TESSERA_SMTP_URL/);
  });
});
