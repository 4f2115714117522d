import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateClientId, generateClientSecret, hasValidSecretChecksum } from '../src/crypto/secrets.js';

describe('client secrets', () => {
  it('have prefix, length and unreserved characters', () => {
    const secret = generateClientSecret();

    assert.match(secret, /^tss_[0-9A-Za-z]{49}$/);
    assert.equal(encodeURIComponent(secret), secret);
  });

  it('pass their own checksum', () => {
    for (let i = 0; i < 200; i++) assert.ok(hasValidSecretChecksum(generateClientSecret()));
  });

  it('fail the checksum after a typo', () => {
    const secret = generateClientSecret();
    const position = 10;
    const typo = secret.slice(0, position) + (secret[position] === 'a' ? 'b' : 'a') + secret.slice(position + 1);

    assert.equal(hasValidSecretChecksum(typo), false);
    assert.equal(hasValidSecretChecksum(secret.slice(0, -1)), false);
    assert.equal(hasValidSecretChecksum(`xxx_${secret.slice(4)}`), false);
  });

  it('are unique across many draws', () => {
    const draws = new Set(Array.from({ length: 1000 }, () => generateClientSecret()));

    assert.equal(draws.size, 1000);
  });

  it('client ids carry their prefix', () => {
    assert.match(generateClientId(), /^tsc_[0-9A-Za-z]{22}$/);
  });
});
