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

function ticketOf(admission: Admission, address: string, evict: (ticket: AdmissionTicket) => void = noEviction): AdmissionTicket {
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

t.test('a full gateway says 503 to everyone; an ended session makes room', async (t) => {
  const admission = new Admission(LIMITS);
  const first = authenticated(admission, '10.0.0.1');
  authenticated(admission, '10.0.0.2');
  authenticated(admission, '10.0.0.3');
  t.match(admission.admit('10.0.0.4', noEviction), { ok: false, refusal: { status: 503, reason: 'at_capacity' } });
  first.end();
  first.end();
  t.equal(admission.sessions, 2, 'ending twice frees one place');
  t.ok(admission.admit('10.0.0.4', noEviction).ok);
});

t.test('a full pending pool evicts its oldest silent socket for a newcomer, never one that said hello', async (t) => {
  const admission = new Admission(LIMITS);
  const evicted: AdmissionTicket[] = [];
  const evict = (ticket: AdmissionTicket) => void evicted.push(ticket);
  const greeted = ticketOf(admission, '10.0.0.1');
  greeted.greet();
  const silentOld = ticketOf(admission, '10.0.0.2');
  const silentNew = ticketOf(admission, '10.0.0.3');
  ticketOf(admission, '10.0.0.4').greet();
  t.equal(admission.pending, 4, 'the pool is full');
  ticketOf(admission, '10.0.0.5', evict);
  t.same(evicted, [silentOld], 'the oldest silent one goes');
  t.equal(silentOld.state, 'ended');
  t.equal(admission.pending, 4);
  ticketOf(admission, '10.0.0.6', evict);
  t.same(evicted, [silentOld, silentNew]);
  t.equal(greeted.state, 'greeted', 'a socket whose hello is being checked keeps its place');
  t.equal(admission.pending, 4);
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
