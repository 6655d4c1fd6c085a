import { TokenBucket } from './token-bucket.js';

export interface AdmissionLimits {
  /** Devices that proved who they are, at once. */
  readonly maxSessions: number;
  /** Sockets that have not yet proved who they are, at once: a pool of their own, so strangers cannot take a device's place. */
  readonly maxPendingConnections: number;
  /** Of those, from one address. */
  readonly maxPendingPerAddress: number;
  /** Sockets from one address, proved or not: a household has a few toys, a school behind one router a classroom. */
  readonly maxConnectionsPerAddress: number;
  /** Hellos one address may get wrong in a burst; the allowance refills over failedHelloWindowMs. */
  readonly maxFailedHellosPerAddress: number;
  readonly failedHelloWindowMs: number;
}

/** Why an upgrade is refused: 503 when the pool of sockets not yet proved is full for everyone, 429 when this address has had its share. */
export interface AdmissionRefusal {
  readonly status: 429 | 503;
  readonly reason: 'pending_full' | 'address_pending' | 'address_connections' | 'address_failed_hellos';
  readonly retryAfterSeconds: number;
}

export type Admitted = { readonly ok: true; readonly ticket: AdmissionTicket } | { readonly ok: false; readonly refusal: AdmissionRefusal };

type TicketState = 'pending' | 'greeted' | 'authenticated' | 'ended';

/** What each step does to a ticket; a step not listed for a state leaves it as it is. */
const NEXT: Readonly<Record<TicketState, Partial<Record<'greet' | 'authenticate' | 'end', TicketState>>>> = {
  pending: { greet: 'greeted', end: 'ended' },
  greeted: { authenticate: 'authenticated', end: 'ended' },
  authenticated: { end: 'ended' },
  ended: {},
};

/** A device says hello as soon as its socket opens: one silent for this long is not one, and may be evicted. */
const SILENT_AFTER_MS = 500;

/** Failed-hello allowances kept at most, for this many addresses; one that has refilled is the same as none and goes first. */
const MAX_REMEMBERED_ADDRESSES = 10_000;

/**
 * Who may open a socket, and who keeps one. Every socket holds a ticket from
 * its upgrade to its end: pending until it has said hello, greeted while its
 * secret is checked, then authenticated. Pending and greeted sockets share a
 * small pool of their own, bounded per address too. When the pool is full, a
 * newcomer takes the place of the oldest socket of the address that holds the
 * most of it (a silent one first), but only from an address holding at least
 * two more than the newcomer's own: a toy, one socket from its home, always
 * gets a place that a crowd from fewer addresses than the pool holds, and
 * strangers cannot take one from it. A crowd of one silent socket an address
 * gives way too: a socket silent for half a second is nobody's toy.
 * Authenticated sessions count against maxSessions alone, checked when a
 * hello is proved rather than at the upgrade: until then nobody knows whether
 * the socket is a device coming back to replace its own session, which has a place.
 */
export class Admission {
  private readonly unproved = new Set<AdmissionTicket>();
  private authenticatedCount = 0;
  /** The unproved tickets of each address, oldest first. */
  private readonly pendingByAddress = new Map<string, Set<AdmissionTicket>>();
  private readonly connectionsByAddress = new Map<string, number>();
  private readonly failedHellos = new Map<string, TokenBucket>();

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get sessions(): number {
    return this.authenticatedCount;
  }

  get pending(): number {
    return this.unproved.size;
  }

  /**
   * A ticket for a socket from `address` (a key from client-address.ts), or why not. `evict` closes
   * the socket whose place the newcomer takes: it had said nothing, or its hello waits for its check.
   */
  admit(address: string, evict: (ticket: AdmissionTicket, was: 'pending' | 'greeted') => void): Admitted {
    const limits = this.limits;
    const failed = this.failedHellos.get(address);
    if (failed !== undefined && !failed.available()) return refused(429, 'address_failed_hellos', failed.msUntilAvailable());
    if ((this.connectionsByAddress.get(address) ?? 0) >= limits.maxConnectionsPerAddress) return refused(429, 'address_connections', 5000);
    const ours = this.pendingByAddress.get(address)?.size ?? 0;
    if (ours >= limits.maxPendingPerAddress) return refused(429, 'address_pending', 1000);
    if (this.unproved.size >= limits.maxPendingConnections) {
      const victim = this.victimFor(ours);
      if (victim === undefined) return refused(503, 'pending_full', 1000);
      const was = victim.state === 'pending' ? 'pending' : 'greeted';
      victim.end();
      evict(victim, was);
    }
    const ticket = new AdmissionTicket(address, this, this.now());
    this.unproved.add(ticket);
    let mine = this.pendingByAddress.get(address);
    if (mine === undefined) this.pendingByAddress.set(address, (mine = new Set()));
    mine.add(ticket);
    bump(this.connectionsByAddress, address, 1);
    return { ok: true, ticket };
  }

  /** The socket a newcomer whose address holds `ours` of the pool may take the place of, if any. */
  private victimFor(ours: number): AdmissionTicket | undefined {
    let most: Set<AdmissionTicket> | undefined;
    for (const tickets of this.pendingByAddress.values()) if (most === undefined || tickets.size > most.size) most = tickets;
    // A swap that leaves the pool fairer: the victim's address keeps at least as many as the newcomer's gets.
    if (most !== undefined && most.size > ours + 1) {
      const oldest = [...most];
      return oldest.find((ticket) => ticket.state === 'pending') ?? oldest[0];
    }
    // Many addresses of one each: a socket silent for longer than a device takes to say hello is a stranger's.
    const now = this.now();
    return [...this.unproved].find((ticket) => ticket.state === 'pending' && now - ticket.openedAt >= SILENT_AFTER_MS);
  }

  /** @internal The ticket's steps, kept in the counts. */
  moved(ticket: AdmissionTicket, from: TicketState, to: TicketState): void {
    if (from === 'pending' || from === 'greeted') {
      if (to === 'authenticated' || to === 'ended') {
        this.unproved.delete(ticket);
        const mine = this.pendingByAddress.get(ticket.address);
        mine?.delete(ticket);
        if (mine?.size === 0) this.pendingByAddress.delete(ticket.address);
      }
    }
    if (to === 'authenticated') this.authenticatedCount++;
    if (from === 'authenticated') this.authenticatedCount--;
    if (to === 'ended') bump(this.connectionsByAddress, ticket.address, -1);
  }

  /** @internal */
  mayAuthenticate(replacing: boolean): boolean {
    return replacing || this.authenticatedCount < this.limits.maxSessions;
  }

  /** @internal Whether the address may have another secret checked. */
  mayCheck(address: string): boolean {
    return this.failedHellos.get(address)?.available() ?? true;
  }

  /** @internal */
  failedHello(address: string): void {
    let bucket = this.failedHellos.get(address);
    if (bucket === undefined) {
      this.forgetRefilled();
      const { maxFailedHellosPerAddress: burst, failedHelloWindowMs } = this.limits;
      bucket = new TokenBucket((burst * 1000) / failedHelloWindowMs, burst, this.now);
      this.failedHellos.set(address, bucket);
    } else {
      // Most recently failing last, so the oldest is forgotten first.
      this.failedHellos.delete(address);
      this.failedHellos.set(address, bucket);
    }
    bucket.take();
  }

  private forgetRefilled(): void {
    if (this.failedHellos.size < MAX_REMEMBERED_ADDRESSES) return;
    for (const [address, bucket] of this.failedHellos) if (bucket.full()) this.failedHellos.delete(address);
    // Still full of addresses failing right now: the longest quiet goes.
    if (this.failedHellos.size >= MAX_REMEMBERED_ADDRESSES) this.failedHellos.delete(this.failedHellos.keys().next().value as string);
  }
}

/** One socket's place at the gateway, from its upgrade to its end. */
export class AdmissionTicket {
  private current: TicketState = 'pending';

  constructor(
    readonly address: string,
    private readonly admission: Admission,
    /** When the socket was admitted, on the admission's clock. */
    readonly openedAt: number,
  ) {}

  get state(): TicketState {
    return this.current;
  }

  /** A hello arrived: the socket is no longer silent, and is not evicted for a newcomer. */
  greet(): void {
    this.step('greet');
  }

  /** Whether this address may have a secret checked now, or has got too many wrong. */
  mayCheckSecret(): boolean {
    return this.admission.mayCheck(this.address);
  }

  /** The hello's device or secret was wrong: counted against the address. */
  failedHello(): void {
    this.admission.failedHello(this.address);
  }

  /**
   * The device proved who it is; false when the gateway has no session left for it (the device is
   * told busy). A device replacing its own older session always has one: that session's.
   */
  authenticate(replacing: boolean): boolean {
    if (this.current !== 'greeted' || !this.admission.mayAuthenticate(replacing)) return false;
    this.step('authenticate');
    return true;
  }

  /** The socket is closed or closing: its place is free. Safe to call more than once. */
  end(): void {
    this.step('end');
  }

  private step(event: 'greet' | 'authenticate' | 'end'): void {
    const from = this.current;
    const to = NEXT[from][event];
    if (to === undefined) return;
    this.current = to;
    this.admission.moved(this, from, to);
  }
}

function refused(status: 429 | 503, reason: AdmissionRefusal['reason'], retryAfterMs: number): Admitted {
  return { ok: false, refusal: { status, reason, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) } };
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}
