import t from 'tap';
import { SECRET_LENGTH } from '../../protocol/index.js';
import { ProviderError } from '../providers/provider-error.js';
import { hashDeviceSecret, newDeviceSecret, verifyDeviceSecret } from './device-secret.js';

const MAX_SECRET_LENGTH = SECRET_LENGTH.max;

t.test('new secrets are 24 random bytes in base64url', async (t) => {
  const secrets = new Set(Array.from({ length: 50 }, newDeviceSecret));
  t.equal(secrets.size, 50, 'no repeats');
  for (const secret of secrets) {
    t.match(secret, /^[A-Za-z0-9_-]{32}$/);
    t.equal(Buffer.from(secret, 'base64url').length, 24);
  }
});

t.test('a hash carries its parameters and a salt of its own', async (t) => {
  const a = await hashDeviceSecret('same');
  const b = await hashDeviceSecret('same');
  t.match(a, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
  t.not(a, b, 'the same secret hashes differently each time');
  t.notMatch(a, /same/);
});

t.test('verifies the right secret and nothing else', async (t) => {
  const secret = newDeviceSecret();
  const stored = await hashDeviceSecret(secret);
  t.equal(await verifyDeviceSecret(stored, secret), true);
  t.equal(await verifyDeviceSecret(stored, secret.toUpperCase()), false);
  t.equal(await verifyDeviceSecret(stored, ''), false);
  t.equal(await verifyDeviceSecret(stored, secret + 'x'.repeat(MAX_SECRET_LENGTH)), false, 'too long');
  t.equal(await verifyDeviceSecret(undefined, secret), false, 'no stored hash (unknown device)');
  // scrypt's HMAC pads short keys with zero bytes: these hashed exactly like the secret (issue 10, finding 7).
  for (const nuls of [1, 2, 32]) t.equal(await verifyDeviceSecret(stored, secret + '\u0000'.repeat(nuls)), false, `followed by ${nuls} NUL`);
});

t.test('a damaged stored hash never verifies', async (t) => {
  const secret = 'pairing';
  const stored = await hashDeviceSecret(secret);
  const parts = stored.split('$');
  const damaged = [
    '',
    'plain text',
    stored.replace('scrypt', 'md5'),
    [...parts.slice(0, 5)].join('$'),
    [parts[0], '1000', ...parts.slice(2)].join('$'),
    [parts[0], String(1 << 24), ...parts.slice(2)].join('$'),
    [...parts.slice(0, 5), 'c2hvcnQ'].join('$'),
  ];
  for (const hash of damaged) t.equal(await verifyDeviceSecret(hash, secret), false, JSON.stringify(hash.slice(0, 20)));
});

t.test('refuses to hash an empty, oversized or NUL-bearing secret', async (t) => {
  for (const secret of ['', 'x'.repeat(MAX_SECRET_LENGTH + 1), 'pairing\u0000']) {
    await t.rejects(hashDeviceSecret(secret), ProviderError);
    await t.rejects(hashDeviceSecret(secret), { code: 'invalid_secret', retryable: false });
  }
  t.match(await hashDeviceSecret('x'.repeat(MAX_SECRET_LENGTH)), /^scrypt\$/);
});
