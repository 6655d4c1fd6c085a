import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export type ClientAddress = { readonly ok: true; readonly address: string; readonly key: string } | { readonly ok: false; readonly reason: string };

/**
 * Who is knocking, for the per-address limits. The socket's peer, unless the
 * gateway was told it sits behind a reverse proxy and the peer is that proxy:
 * then the named header alone (its last entry, the one the proxy wrote), and a
 * request from the proxy without it is refused. A header from any other peer
 * is ignored, or anyone who can reach the gateway directly could claim to be anyone.
 */
export function clientAddress(request: Pick<IncomingMessage, 'headers' | 'socket'>, trustedHeader: string | undefined, trustedProxies: readonly string[] = []): ClientAddress {
  let address: string | undefined = request.socket.remoteAddress;
  const peer = address === undefined ? undefined : exactly(address);
  if (trustedHeader !== undefined && peer !== undefined && trustedProxies.some((proxy) => exactly(proxy) === peer)) {
    const value = request.headers[trustedHeader.toLowerCase()];
    const last = (Array.isArray(value) ? value.join(',') : value)?.split(',').pop()?.trim();
    if (last === undefined || last === '') return { ok: false, reason: `no ${trustedHeader} header` };
    address = stripPort(last);
  }
  if (address === undefined || isIP(address) === 0) return { ok: false, reason: 'no client address' };
  return { ok: true, address, key: addressKey(address) };
}

/**
 * The unit a limit counts: an IPv4 address, or an IPv6 /64, since anyone
 * given one IPv6 address is given the 2^64 beside it.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (isIP(address) !== 6) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

/** One spelling per address, for comparing a peer with the proxies named in the config. */
function exactly(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  return isIP(address) === 6 ? expandIpv6(address).join(':') : address;
}

function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((part) => (Number.parseInt(part, 16) || 0).toString(16));
}

/** "203.0.113.7:5123" and "[2001:db8::1]:5123" lose their port; a bare address is kept as it is. */
function stripPort(value: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1] as string;
  const v4 = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(value);
  return v4 ? (v4[1] as string) : value;
}
