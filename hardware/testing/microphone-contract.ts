import type { Test } from 'tap';
import { MICROPHONE_SAMPLE_RATE } from '../microphone.js';
import type { Microphone } from '../microphone.js';
import { within } from './within.js';

const BOUND_MS = 5000;

/** Reads until `samples` have arrived, then aborts and reads what is left; returns everything. */
async function captureAbout(microphone: Microphone, samples: number): Promise<{ chunks: Int16Array[]; afterAbort: number }> {
  const controller = new AbortController();
  const chunks: Int16Array[] = [];
  let total = 0;
  let afterAbort = 0;
  for await (const chunk of microphone.capture(controller.signal)) {
    chunks.push(chunk);
    total += chunk.length;
    if (controller.signal.aborted) afterAbort++;
    if (total >= samples) controller.abort();
  }
  return { chunks, afterAbort };
}

/** What every Microphone driver must do. */
export function microphoneContract(t: Test, name: string, make: () => Microphone | Promise<Microphone>): void {
  t.test(`${name} honours the Microphone contract`, async (t) => {
    t.test('delivers 16 kHz Int16Array chunks until aborted', async (t) => {
      const microphone = await make();
      t.teardown(() => microphone.close());
      t.equal(microphone.sampleRate, MICROPHONE_SAMPLE_RATE);
      const { chunks } = await within(captureAbout(microphone, 1600), BOUND_MS, 'capturing 100 ms');
      t.ok(chunks.length > 0);
      t.ok(chunks.every((c) => c instanceof Int16Array && c.length > 0), 'non-empty Int16Array chunks');
    });

    t.test('ends promptly when aborted while waiting for audio', async (t) => {
      const microphone = await make();
      t.teardown(() => microphone.close());
      const controller = new AbortController();
      const iterator = microphone.capture(controller.signal)[Symbol.asyncIterator]();
      const first = await within(iterator.next(), BOUND_MS, 'the first chunk');
      t.equal(first.done, false);
      controller.abort();
      // Whatever was already captured may still come; then the iteration must end.
      let extra = 0;
      const drainRest = async (): Promise<void> => {
        while (!(await iterator.next()).done) extra++;
      };
      await within(drainRest(), BOUND_MS, 'the end of the capture after abort');
      t.pass(`ended after ${extra} already captured chunks`);
    });

    t.test('an already aborted signal captures nothing much and ends', async (t) => {
      const microphone = await make();
      t.teardown(() => microphone.close());
      const controller = new AbortController();
      controller.abort();
      let chunks = 0;
      const consume = async (): Promise<void> => {
        for await (const _ of microphone.capture(controller.signal)) chunks++;
      };
      await within(consume(), BOUND_MS, 'the end of an aborted capture');
      t.equal(chunks, 0);
    });

    t.test('captures one after the other, never two at once', async (t) => {
      const microphone = await make();
      t.teardown(() => microphone.close());
      const controller = new AbortController();
      const running = microphone.capture(controller.signal)[Symbol.asyncIterator]();
      await within(running.next(), BOUND_MS, 'the first chunk');
      const second = microphone.capture(new AbortController().signal)[Symbol.asyncIterator]();
      await t.rejects(second.next(), { code: 'mic_busy' });
      controller.abort();
      await within((async () => { while (!(await running.next()).done); })(), BOUND_MS, 'the end of the first capture');
      const { chunks } = await within(captureAbout(microphone, 320), BOUND_MS, 'a second capture');
      t.ok(chunks.length > 0, 'the next capture works');
    });

    t.test('leaving the loop early ends the capture', async (t) => {
      const microphone = await make();
      t.teardown(() => microphone.close());
      const signal = new AbortController().signal;
      for await (const _ of microphone.capture(signal)) break;
      const { chunks } = await within(captureAbout(microphone, 320), BOUND_MS, 'a capture after a break');
      t.ok(chunks.length > 0);
    });

    t.test('close ends a running capture', async (t) => {
      const microphone = await make();
      const iterator = microphone.capture(new AbortController().signal)[Symbol.asyncIterator]();
      await within(iterator.next(), BOUND_MS, 'the first chunk');
      await microphone.close();
      await within((async () => { while (!(await iterator.next()).done); })(), BOUND_MS, 'the end of the capture after close');
      await microphone.close();
      t.pass('closed twice');
    });
  });
}
