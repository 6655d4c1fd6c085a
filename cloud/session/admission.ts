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

/** Why an upgrade is refused: 503 when the gateway is full for everyone, 429 when this address has had its share. */
export interface AdmissionRefusal {
  readonly status: 429 | 503;
  readonly reason: 'at_capacity' | 'pending_full' | 'address_pending' | 'address_connections' | 'address_failed_hellos';
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

/** Failed-hello allowances kept at most, for this many addresses; one that has refilled is the same as none and goes first. */
const MAX_REMEMBERED_ADDRESSES = 10_000;

/**
 * Who may open a socket, and who keeps one. Every socket holds a ticket from
 * its upgrade to its end: pending until it has said hello, greeted while its
 * secret is checked, then authenticated. Pending and greeted sockets share a
 * small pool of their own, bounded per address too; when it is full a
 * newcomer takes the place of the oldest socket that has not said hello at
 * all, so sockets opened and left silent cannot keep a device from its hello.
 * Authenticated sessions count against maxSessions alone.
 */
export class Admission {
  private readonly unproved = new Set<AdmissionTicket>();
  private authenticatedCount = 0;
  private readonly pendingByAddress = new Map<string, number>();
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

  /** A ticket for a socket from `address` (a key from client-address.ts), or why not. `evict` closes a silent socket to make room. */
  admit(address: string, evict: (ticket: AdmissionTicket) => void): Admitted {
    const limits = this.limits;
    const failed = this.failedHellos.get(address);
    if (failed !== undefined && !failed.available()) return refused(429, 'address_failed_hellos', failed.msUntilAvailable());
    if ((this.connectionsByAddress.get(address) ?? 0) >= limits.maxConnectionsPerAddress) return refused(429, 'address_connections', 5000);
    if ((this.pendingByAddress.get(address) ?? 0) >= limits.maxPendingPerAddress) return refused(429, 'address_pending', 1000);
    if (this.authenticatedCount >= limits.maxSessions) return refused(503, 'at_capacity', 5000);
    if (this.unproved.size >= limits.maxPendingConnections) {
      const silent = [...this.unproved].find((ticket) => ticket.state === 'pending');
      if (silent === undefined) return refused(503, 'pending_full', 1000);
      silent.end();
      evict(silent);
    }
    const ticket = new AdmissionTicket(address, this);
    this.unproved.add(ticket);
    bump(this.pendingByAddress, address, 1);
    bump(this.connectionsByAddress, address, 1);
    return { ok: true, ticket };
  }

  /** @internal The ticket's steps, kept in the counts. */
  moved(ticket: AdmissionTicket, from: TicketState, to: TicketState): void {
    if (from === 'pending' || from === 'greeted') {
      if (to === 'authenticated' || to === 'ended') {
        this.unproved.delete(ticket);
        bump(this.pendingByAddress, ticket.address, -1);
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
