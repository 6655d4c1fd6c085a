import { within } from '../../hardware/testing/within.js';
import { RecordingLeds } from '../../hardware/sim/recording-leds.js';
import { ScriptedButton } from '../../hardware/sim/scripted-button.js';
import { SimSpeaker } from '../../hardware/sim/sim-speaker.js';
import { WavMicrophone } from '../../hardware/sim/wav-microphone.js';
import { UPLINK_AUDIO } from '../../protocol/index.js';
import type { DeviceReport } from '../device-report.js';
import { DeviceRunner, type DeviceRunnerOptions } from '../device-runner.js';
import type { DeviceState } from '../device-state-machine.js';
import { silentLog } from '../../log/log.js';

export interface SimToyOptions {
  readonly replyTimeoutMs?: number;
  /** Also write what the speaker plays to this WAV file. */
  readonly wavPath?: string;
  readonly doublePressMs?: number;
  readonly handsFree?: boolean;
  /** The state to wait for before handing the toy over. Default idle. */
  readonly ready?: DeviceState;
}

/** How long a test waits for something the toy should do: a bound, not a speed test. */
const BOUND_MS = 10_000;

/**
 * A DeviceRunner on simulated hardware (running 4 times faster than real time) for device tests,
 * started against `url`; it keeps every report and lets a test wait for one, with a bound.
 */
export async function simToy(t: { teardown: (fn: () => Promise<void>) => void }, url: string, options: SimToyOptions = {}) {
  const button = new ScriptedButton();
  const leds = new RecordingLeds();
  const microphone = new WavMicrophone({ speed: 4 });
  const speaker = await SimSpeaker.create({ sampleRate: 24_000, speed: 4, ...(options.wavPath ? { wavPath: options.wavPath } : {}) });
  const reports: DeviceReport[] = [];
  const waiters = new Set<(r: DeviceReport) => void>();
  const runnerOptions: DeviceRunnerOptions = {
    link: { url, hello: { deviceId: 'toy-1', secret: 'secret-secret', firmware: 't', audio: UPLINK_AUDIO, capabilities: ['hands_free'] }, backoff: { initialMs: 20, maxMs: 100 }, connectTimeoutMs: 2000 },
    uplinkBitrate: 16_000,
    replyTimeoutMs: options.replyTimeoutMs ?? 10_000,
    errorShowMs: 50,
    maxQueuedFrames: 100,
    volumeCeiling: 100,
    log: silentLog,
    ...(options.doublePressMs === undefined ? {} : { doublePressMs: options.doublePressMs }),
    ...(options.handsFree === undefined ? {} : { handsFree: options.handsFree }),
    observe: (r) => {
      reports.push(r);
      for (const waiter of [...waiters]) waiter(r);
    },
  };
  const runner = new DeviceRunner({ button, leds, microphone, speaker }, runnerOptions);
  t.teardown(async () => {
    await runner.stop();
    await speaker.close();
  });
  /** The next report (from now on) that matches. */
  const next = <R extends DeviceReport>(match: (r: DeviceReport) => r is R, what = 'a report'): Promise<R> =>
    within(
      new Promise<R>((resolve) => {
        const waiter = (r: DeviceReport) => {
          if (!match(r)) return;
          waiters.delete(waiter);
          resolve(r);
        };
        waiters.add(waiter);
      }),
      BOUND_MS,
      what,
    );
  /** Resolves when the toy is in `state` (at once if it is). */
  const state = async (s: DeviceState): Promise<void> => {
    if (runner.state !== s) await next((r): r is DeviceReport => r.type === 'state' && r.state === s, `state ${s}`);
  };
  /** The report of `turn` (at once if it has been made). */
  const turnReport = (turn: number) => {
    const isIt = (r: DeviceReport): r is Extract<DeviceReport, { type: 'turn' }> => r.type === 'turn' && r.turn === turn;
    const made = reports.find(isIt);
    return made ? Promise.resolve(made) : next(isIt, `the report of turn ${turn}`);
  };
  runner.start();
  await state(options.ready ?? 'idle');
  return { runner, button, leds, microphone, speaker, reports, next, state, turnReport };
}

export type SimToy = Awaited<ReturnType<typeof simToy>>;
