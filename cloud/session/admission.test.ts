import t from 'tap';
import { Admission, type AdmissionLimits, type AdmissionTicket } from './admission.js';

const LIMITS: AdmissionLimits = {
  maxSessions: 3,
  maxPendingConnections: 4,
  maxPendingPerAddress: 2,
  maxConnectionsPerAddress: 3,
  maxFailedHellosPerAddress: 2,
  failedHelloWindowMs: 10_000,
};

const noEviction = () => {
  throw new Error('nothing should be evicted here');
};

function ticketOf(admission: Admission, address: string, evict: (ticket: AdmissionTicket, was: 'pending' | 'greeted') => void = noEviction): AdmissionTicket {
  const admitted = admission.admit(address, evict);
  if (!admitted.ok) throw new Error(`refused: ${admitted.refusal.reason}`);
  return admitted.ticket;
}

const authenticated = (admission: Admission, address: string) => {
  const ticket = ticketOf(admission, address);
  ticket.greet();
  if (!ticket.authenticate(false)) throw new Error('not authenticated');
  return ticket;
};

t.test('sockets not yet proved are bounded per address, and an address over its share is told 429', async (t) => {
  const admission = new Admission(LIMITS);
  ticketOf(admission, '10.0.0.1');
  ticketOf(admission, '10.0.0.1');
  t.match(admission.admit('10.0.0.1', noEviction), { ok: false, refusal: { status: 429, reason: 'address_pending', retryAfterSeconds: 1 } });
  t.ok(admission.admit('10.0.0.2', noEviction).ok, 'another address is not held back');
  t.equal(admission.pending, 3);
});

t.test('an authenticated socket leaves the pending pool but still counts for its address', async (t) => {
  const admission = new Admission(LIMITS);
  authenticated(admission, '10.0.0.1');
  authenticated(admission, '10.0.0.1');
  t.equal(admission.pending, 0);
  t.equal(admission.sessions, 2);
  ticketOf(admission, '10.0.0.1');
  t.match(admission.admit('10.0.0.1', noEviction), { ok: false, refusal: { status: 429, reason: 'address_connections' } }, 'three sockets from one address at most');
});

t.test('a full gateway still admits sockets, since one may be a device replacing its own session; a newcomer is refused only once proved', async (t) => {
  const admission = new Admission(LIMITS);
  const first = authenticated(admission, '10.0.0.1');
  const second = authenticated(admission, '10.0.0.2');
  authenticated(admission, '10.0.0.3');
  const newcomer = ticketOf(admission, '10.0.0.4');
  newcomer.greet();
  t.notOk(newcomer.authenticate(false), 'every place is taken');
  const returning = ticketOf(admission, '10.0.0.1');
  returning.greet();
  t.ok(returning.authenticate(true), 'a device replacing its own session has its place');
  first.end();
  first.end();
  t.equal(admission.sessions, 3, 'the old session ends, once however often told: the device is back in its place');
  second.end();
  t.ok(newcomer.authenticate(false), 'a place freed, the newcomer may take it');
});

t.test('a full pending pool makes room by taking a place from the address that holds the most, a silent one first', async (t) => {
  const admission = new Admission({ ...LIMITS, maxPendingConnections: 4, maxPendingPerAddress: 3 }, () => 0);
  const evicted: [AdmissionTicket, string][] = [];
  const evict = (ticket: AdmissionTicket, was: string) => void evicted.push([ticket, was]);
  const crowdGreeted = ticketOf(admission, '10.0.0.1');
  crowdGreeted.greet();
  const crowdSilent = ticketOf(admission, '10.0.0.1');
  const crowdNewest = ticketOf(admission, '10.0.0.1');
  crowdNewest.greet();
  const toy = ticketOf(admission, '10.0.0.9');
  t.equal(admission.pending, 4, 'the pool is full');
  ticketOf(admission, '10.0.0.2', evict);
  t.same(evicted, [[crowdSilent, 'pending']], "the crowd's silent socket goes, though the toy's is as silent and newer");
  ticketOf(admission, '10.0.0.3', evict);
  t.same(evicted.at(-1), [crowdGreeted, 'greeted'], 'then its oldest waiting hello');
  t.equal(toy.state, 'pending', "the toy's socket keeps its place");
  // Now 10.0.0.1, .2, .3 and .9 hold one each: nobody holds more than a newcomer from a fifth address would.
  t.match(admission.admit('10.0.0.4', evict), { ok: false, refusal: { status: 503, reason: 'pending_full' } });
  t.match(admission.admit('10.0.0.2', evict), { ok: false }, 'nor may an address take from one holding as many as itself');
  t.equal(evicted.length, 2);
});

t.test('a pool full of hellos being checked refuses with 503, briefly', async (t) => {
  const admission = new Admission(LIMITS);
  for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']) ticketOf(admission, address).greet();
  t.match(admission.admit('10.0.0.5', noEviction), { ok: false, refusal: { status: 503, reason: 'pending_full', retryAfterSeconds: 1 } });
});

t.test('wrong hellos use up their address allowance, which refills over the window', async (t) => {
  let now = 0;
  const admission = new Admission(LIMITS, () => now);
  const one = ticketOf(admission, '10.0.0.1');
  t.ok(one.mayCheckSecret());
  one.failedHello();
  one.end();
  const two = ticketOf(admission, '10.0.0.1');
  t.ok(two.mayCheckSecret(), 'one wrong hello of two allowed');
  two.failedHello();
  t.notOk(two.mayCheckSecret(), 'no secret checked once the allowance is spent');
  two.end();
  t.match(admission.admit('10.0.0.1', noEviction), { ok: false, refusal: { status: 429, reason: 'address_failed_hellos', retryAfterSeconds: 5 } }, 'one wrong hello back every 5 s');
  t.ok(admission.admit('10.0.0.2', noEviction).ok, 'another address is unaffected');
  now = 5000;
  t.ok(admission.admit('10.0.0.1', noEviction).ok, 'admitted again once a wrong hello is forgiven');
});

t.test('authenticating needs a hello first, and a place unless the device replaces its own session', async (t) => {
  const admission = new Admission({ ...LIMITS, maxSessions: 1 });
  const silent = ticketOf(admission, '10.0.0.1');
  t.notOk(silent.authenticate(false), 'no hello, no session');
  const waiting = ticketOf(admission, '10.0.0.2');
  waiting.greet();
  silent.greet();
  t.ok(silent.authenticate(false));
  t.notOk(waiting.authenticate(false), 'the last place was just taken');
  t.ok(waiting.authenticate(true), 'a device coming back takes over its own place');
  t.equal(admission.sessions, 2, 'until the older session ends');
});

t.test('a pool of one silent socket from each of many addresses gives way to a newcomer, once they have been silent half a second', async (t) => {
  let now = 0;
  const admission = new Admission({ ...LIMITS, maxPendingConnections: 3 }, () => now);
  const evicted: AdmissionTicket[] = [];
  const evict = (ticket: AdmissionTicket) => void evicted.push(ticket);
  const first = ticketOf(admission, '10.0.1.1');
  ticketOf(admission, '10.0.1.2');
  ticketOf(admission, '10.0.1.3').greet();
  now = 499;
  t.match(admission.admit('10.0.0.9', evict), { ok: false, refusal: { reason: 'pending_full' } }, 'a socket that may still be saying hello keeps its place');
  now = 500;
  t.ok(admission.admit('10.0.0.9', evict).ok);
  t.same(evicted, [first], 'the oldest silent one gives way');
});
