import t from 'tap';
import { addressKey, clientAddress } from './client-address.js';

const request = (remoteAddress: string | undefined, headers: Record<string, string | string[]> = {}) => ({ headers, socket: { remoteAddress } }) as unknown as Parameters<typeof clientAddress>[0];

t.test('a limit counts an IPv4 address as itself and an IPv6 address by its /64', async (t) => {
  t.equal(addressKey('203.0.113.7'), '203.0.113.7');
  t.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7', 'an IPv4 address in IPv6 clothing is the same client');
  t.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.equal(addressKey('2001:db8:1:2::ffff'), addressKey('2001:0db8:0001:0002:1:2:3:4'), 'one /64, however spelled');
  t.not(addressKey('2001:db8:1:3::1'), addressKey('2001:db8:1:2::1'));
  t.equal(addressKey('::1'), '0:0:0:0::/64');
});

t.test("the peer, or behind a trusted proxy its header's last entry", async (t) => {
  t.match(clientAddress(request('198.51.100.4', { 'x-forwarded-for': '203.0.113.7' }), undefined), { ok: true, key: '198.51.100.4' }, 'no header believed unless configured');
  t.match(clientAddress(request('127.0.0.1', { 'x-forwarded-for': '10.1.1.1, 203.0.113.7:5123' }), 'X-Forwarded-For', ['127.0.0.1']), { ok: true, address: '203.0.113.7' });
  t.match(clientAddress(request('127.0.0.1', { 'x-real-ip': '[2001:db8::5]:443' }), 'X-Real-IP', ['127.0.0.1']), { ok: true, address: '2001:db8::5' });
  t.match(clientAddress(request('::ffff:127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }), 'X-Forwarded-For', ['127.0.0.1']), { ok: true, address: '203.0.113.7' }, 'the proxy spelled as IPv4 in IPv6');
  t.match(clientAddress(request('127.0.0.1'), 'X-Forwarded-For', ['127.0.0.1']), { ok: false, reason: /X-Forwarded-For/ }, 'from the proxy without its header');
  t.match(clientAddress(request('127.0.0.1', { 'x-forwarded-for': 'not-an-address' }), 'X-Forwarded-For', ['127.0.0.1']), { ok: false });
  t.match(clientAddress(request('198.51.100.4', { 'x-forwarded-for': '203.0.113.7' }), 'X-Forwarded-For', ['127.0.0.1']), { ok: true, key: '198.51.100.4' }, 'from another peer the header is ignored');
  t.match(clientAddress(request(undefined), undefined), { ok: false });
});
