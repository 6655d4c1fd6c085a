import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { SECRET_LENGTH } from '../../protocol/index.js';
import { ProviderError } from '../providers/provider-error.js';

// Node's default scrypt cost: ~40 ms and 16 MiB per hash on a small server. Generated secrets
// carry 192 random bits, but paired simulators may choose weaker ones, so a slow hash still pays.
const COST = 16_384;
const BLOCK_SIZE = 8;
const PARALLEL = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/**
 * A secret the hello could not carry (protocol's SECRET_LENGTH) is never stored, and a check hashes
 * a stand-in instead of it. Nor is one with a NUL in it: scrypt's HMAC pads a short key with zero
 * bytes, so "secret" and "secret" followed by NULs would hash alike and both be let in.
 */
function usableLength(secret: string): boolean {
  return secret.length >= SECRET_LENGTH.min && secret.length <= SECRET_LENGTH.max && !secret.includes('\u0000');
}

/** A fresh device secret: 24 random bytes as 32 base64url characters. */
export function newDeviceSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** A salted scrypt hash in the form `scrypt$N$r$p$salt$key`, so the cost can rise later without breaking old rows. */
export async function hashDeviceSecret(secret: string): Promise<string> {
  if (!usableLength(secret)) {
    throw new ProviderError('invalid_secret', `a device secret must be ${SECRET_LENGTH.min} to ${SECRET_LENGTH.max} characters, none of them NUL`);
  }
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(secret, salt, COST, BLOCK_SIZE, PARALLEL, KEY_BYTES);
  return ['scrypt', COST, BLOCK_SIZE, PARALLEL, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * True when `secret` matches `stored`. With no stored hash (unknown device) or a damaged one it
 * still runs a full hash against a dummy, so the time taken does not reveal which devices exist.
 */
export async function verifyDeviceSecret(stored: string | undefined, secret: string): Promise<boolean> {
  const parsed = stored === undefined ? undefined : parse(stored);
  const usable = usableLength(secret);
  const target = parsed ?? DUMMY;
  const key = await derive(usable ? secret : 'x', target.salt, target.cost, target.blockSize, target.parallel, target.key.length);
  const equal = timingSafeEqual(key, target.key);
  return equal && usable && parsed !== undefined;
}

interface ParsedHash {
  readonly cost: number;
  readonly blockSize: number;
  readonly parallel: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function parse(stored: string): ParsedHash | undefined {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || key === undefined) return undefined;
  const cost = Number(n);
  const blockSize = Number(r);
  const parallel = Number(p);
  const valid =
    Number.isInteger(cost) && cost > 1 && (cost & (cost - 1)) === 0 && cost <= 1 << 20 &&
    Number.isInteger(blockSize) && blockSize >= 1 && blockSize <= 32 &&
    Number.isInteger(parallel) && parallel >= 1 && parallel <= 16;
  if (!valid) return undefined;
  const parsed = { cost, blockSize, parallel, salt: Buffer.from(salt, 'base64url'), key: Buffer.from(key, 'base64url') };
  return parsed.salt.length > 0 && parsed.key.length >= 16 ? parsed : undefined;
}

// Any random key works as the dummy: nothing can match it, and hashing against it costs what a real check costs.
const DUMMY: ParsedHash = {
  cost: COST,
  blockSize: BLOCK_SIZE,
  parallel: PARALLEL,
  salt: randomBytes(SALT_BYTES),
  key: randomBytes(KEY_BYTES),
};

function derive(secret: string, salt: Buffer, N: number, r: number, p: number, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem must cover 128 * N * r bytes, or scrypt refuses costs above the default.
    scrypt(secret, salt, keylen, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}
