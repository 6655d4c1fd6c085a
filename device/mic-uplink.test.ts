import t from 'tap';
import { within } from '../hardware/testing/within.js';
import type { AudioFrame } from '../protocol/index.js';
import { MicUplink, type PacketSource, type UplinkTurn } from './mic-uplink.js';

/**
 * A microphone the test speaks into one packet at a time. Like AudioCapture, an aborted capture
 * still hands over one last (padded) packet, and only one capture may run at a time.
 */
class TestSource implements PacketSource {
  running = 0;
  overlapped = false;
  failNext: Error | undefined;
  private wake: (() => void) | undefined;
  private pending = 0;

  /** Makes the running capture deliver `n` packets. */
  speak(n = 1): void {
    this.pending += n;
    this.wake?.();
  }

  async *packets(signal: AbortSignal): AsyncIterable<Uint8Array> {
    if (this.running > 0) this.overlapped = true;
    this.running++;
    const onAbort = () => this.wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      for (;;) {
        if (this.failNext) {
          const error = this.failNext;
          this.failNext = undefined;
          throw error;
        }
        if (this.pending > 0) {
          this.pending--;
          yield new Uint8Array([1]);
          continue;
        }
        if (signal.aborted) break;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
      yield new Uint8Array([0]);
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.running--;
    }
  }
}

function setup() {
  const source = new TestSource();
  const sent: AudioFrame[] = [];
  const failures: { turn: number; error: Error }[] = [];
  let waiter: { count: number; resolve: () => void } | undefined;
  const uplink = new MicUplink<UplinkTurn>(
    source,
    (frame) => {
      sent.push(frame);
      if (waiter && sent.length >= waiter.count) waiter.resolve();
      return true;
    },
    (turn, error) => failures.push({ turn: turn.turn, error }),
  );
  const frames = (count: number) =>
    within(sent.length >= count ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { count, resolve })), 5000, `${count} frames`);
  const turn = (n: number): UplinkTurn => ({ turn: n, sequence: 0, framesSent: 0 });
  return { source, sent, failures, uplink, frames, turn };
}

t.test('a hand-over moves the very next frame to the next turn, from sequence 0, and loses none', async (t) => {
  const { source, sent, uplink, frames, turn } = setup();
  const eight = turn(8);
  const nine = turn(9);
  uplink.start(eight);
  source.speak(3);
  await frames(3);
  t.ok(uplink.handOver(nine));
  t.equal(uplink.streamingFor, nine);
  source.speak(2);
  await frames(5);
  await within(uplink.stop(nine), 5000, 'the stop');
  t.same(sent.map((f) => `${f.turn}/${f.sequence}`), ['8/0', '8/1', '8/2', '9/0', '9/1', '9/2'], 'the padded last frame goes with the turn too');
  t.same([eight.framesSent, nine.framesSent], [3, 3]);
  t.equal(uplink.streamingFor, undefined);
  t.notOk(uplink.handOver(turn(10)), 'nothing to hand over once stopped');
});

t.test('one capture at a time: a new one starts once the last has sent its last frame', async (t) => {
  const { source, sent, uplink, frames, turn } = setup();
  const one = turn(1);
  uplink.start(one);
  source.speak(1);
  await frames(1);
  const stopped = uplink.stop(one);
  uplink.start(turn(2));
  await within(stopped, 5000, 'the first capture to end');
  source.speak(1);
  await frames(3);
  await within(uplink.stop(), 5000, 'the second capture to end');
  t.notOk(source.overlapped, 'never two captures at once');
  t.same(sent.map((f) => `${f.turn}/${f.sequence}`), ['1/0', '1/1', '2/0', '2/1']);
});

t.test('stopping a turn the capture was handed on from leaves the capture running', async (t) => {
  const { source, uplink, frames, turn } = setup();
  const one = turn(1);
  const two = turn(2);
  uplink.start(one);
  uplink.handOver(two);
  await within(uplink.stop(one), 5000, 'stop of a turn already handed on');
  t.equal(uplink.streamingFor, two);
  source.speak(1);
  await frames(1);
  await within(uplink.stop(two), 5000, 'the stop');
});

t.test('a microphone that fails is reported with the turn it streamed for, and nothing is left running', async (t) => {
  const { source, failures, uplink, turn } = setup();
  uplink.start(turn(4));
  uplink.handOver(turn(5));
  source.failNext = Object.assign(new Error('arecord died'), { code: 'mic_unavailable' });
  source.speak(1);
  await within(uplink.stop(), 5000, 'the failed capture to end');
  t.same(failures.map((f) => [f.turn, f.error.message]), [[5, 'arecord died']]);
  t.equal(uplink.streamingFor, undefined);
});
