import { createInterface } from 'node:readline';
import { deviceConfig } from '../device/device-config.js';
import { startDevice } from '../device/device-main.js';
import type { DeviceReport } from '../device/device-report.js';
import { HANDS_FREE_STATES } from '../device/device-state-machine.js';
import type { Log } from '../log/log.js';
import { createHardware, type Hardware } from '../hardware/hardware-factory.js';
import { ScriptedButton } from '../hardware/sim/scripted-button.js';
import { WavMicrophone } from '../hardware/sim/wav-microphone.js';
import { hasCaptureDevice } from '../hardware/sound-card.js';
import { ReportWaiter } from './report-waiter.js';
import { reportPrinter } from './report-printer.js';
import { synthesizeUtterance } from './synthesize-utterance.js';

export type Step = { readonly say: string } | { readonly wav: string };

type TurnReport = Extract<DeviceReport, { type: 'turn' }>;

export interface SimDeviceOptions {
  readonly url: string;
  readonly deviceId: string;
  readonly secret: string;
  /** Scripted turns; none means interactive. */
  readonly steps: readonly Step[];
  /** Start hands-free: each step is spoken into the open microphone once the toy has answered the one before. */
  readonly handsFree?: boolean;
  readonly out?: string;
  readonly json: boolean;
  /** 1 = real time. Playback and the microphone run this much faster (tests). */
  readonly speed: number;
  readonly log: Log;
  readonly reconnect?: { initialMs: number; maxMs: number };
}

const TURN_TIMEOUT_MS = 120_000;

/** Runs the device with simulated hardware until the script is done, or `stop` aborts (Ctrl-C, a dead gateway). */
export async function runSimDevice(options: SimDeviceOptions, stop: AbortSignal = new AbortController().signal): Promise<number> {
  // Settings first: a bad one must not leave a half-made WAV file or a terminal in raw mode.
  const config = deviceConfig({
    gatewayUrl: options.url,
    deviceId: options.deviceId,
    secret: options.secret,
    ...(options.handsFree ? { handsFree: true } : {}),
    ...(options.reconnect ? { reconnect: options.reconnect } : {}),
  });
  const scripted = options.steps.length > 0;
  const interactiveMic = !scripted && process.stdin.isTTY === true && (await hasCaptureDevice());
  const hardware = await createHardware({
    button: interactiveMic ? 'keyboard' : 'scripted',
    leds: options.json ? 'recording' : 'terminal',
    microphone: interactiveMic ? 'alsa' : 'wav',
    speaker: 'sim',
    speed: options.speed,
    soundCard: options.speed === 1 ? 'auto' : 'off',
    ...(options.out ? { speakerWavPath: options.out } : {}),
  });
  let toyName = 'toy';
  const print = reportPrinter(options.json, () => toyName);
  const waiter = new ReportWaiter();
  const turns: TurnReport[] = [];
  /** In hands-free, the turns that carried the script's steps (a double press's short push turn is not one). */
  const stepTurns: TurnReport[] = [];
  const welcomed = waiter.next((r) => (r.type === 'link' && r.up) || (r.type === 'error' && !r.retryable && r.turn === undefined), 30_000, 'the gateway');
  const runner = startDevice(config, hardware, options.log, (report) => {
    if (report.type === 'link' && report.up) toyName = 'Pommai';
    if (report.type === 'turn') turns.push(report);
    print(report);
    waiter.observe(report);
  });
  const stopped = new Promise<never>((_, reject) => {
    const onStop = () => reject(Object.assign(new Error(String((stop.reason as Error)?.message ?? 'stopped')), { code: 'stopped' }));
    if (stop.aborted) onStop();
    else stop.addEventListener('abort', onStop, { once: true });
  });
  stopped.catch(() => {});
  let failed = false;
  try {
    const first = await Promise.race([welcomed, stopped]).catch((error: unknown) => {
      const problem = runner.linkProblem;
      throw (error as { code?: string }).code === 'timeout'
        ? Object.assign(new Error(`could not reach the gateway at ${options.url}${problem ? `: ${problem}` : ''}`), { code: 'gateway_unreachable' })
        : error;
    });
    // A refused device was already reported by the device itself.
    if (first.type === 'error') return 1;
    const say = (steps: readonly Step[]) => (options.handsFree ? handsFreeScript(steps, hardware, runner, waiter, stepTurns) : runScript(steps, hardware, runner, waiter));
    const work = scripted
      ? say(options.steps)
      : interactiveMic
        ? untilStopped(options.handsFree ? 'hands-free: just talk (space talks push-to-talk), Ctrl-C to quit' : 'hold space to talk, Ctrl-C to quit', stop)
        : typedTurns(say, options.json);
    await Promise.race([work, stopped]);
    // A scripted turn that did not play its answer is a failure the caller should see in the exit code.
    failed = scripted && (options.handsFree ? stepTurns : turns).some((turn) => turn.end !== 'played' && turn.end !== 'no_audio');
  } catch (error) {
    const interrupted = (error as { code?: string }).code === 'stopped';
    failed = !interrupted || scripted;
    if (!interrupted || scripted) print({ type: 'error', code: (error as { code?: string }).code ?? 'sim_failed', message: (error as Error).message, retryable: false });
  } finally {
    waiter.abandon();
    const traffic = runner.traffic;
    await runner.stop();
    await hardware.close();
    print({
      type: 'summary',
      turns: turns.length,
      bytesSent: traffic.bytesSent,
      bytesReceived: traffic.bytesReceived,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      ...(options.out ? { out: options.out } : {}),
    });
  }
  return failed ? 1 : 0;
}

async function runScript(steps: readonly Step[], hardware: Hardware, runner: ReturnType<typeof startDevice>, waiter: ReportWaiter): Promise<void> {
  const button = hardware.button;
  const mic = hardware.microphone;
  if (!(button instanceof ScriptedButton) || !(mic instanceof WavMicrophone)) throw new Error('a script needs the scripted button and the WAV microphone');
  for (const step of steps) {
    if ('say' in step) mic.load(await synthesizeUtterance(step.say));
    else await mic.loadWav(step.wav);
    if (runner.state === 'locked') throw Object.assign(new Error('the toy is locked by a parent ("pommai devices unlock ID" lifts it)'), { code: 'locked' });
    if (runner.state !== 'idle') await waiter.next((r) => r.type === 'state' && r.state === 'idle', TURN_TIMEOUT_MS, 'the toy to be idle');
    let stopListening = () => {};
    const spoken = new Promise<void>((resolve) => {
      stopListening = mic.onUtteranceEnd(resolve);
    });
    const ended = waiter.next((r) => r.type === 'turn', TURN_TIMEOUT_MS, 'the end of the turn');
    ended.catch(() => {});
    button.press();
    // The turn can end before the utterance does (the link dropped, the gateway cut it short).
    await Promise.race([spoken, ended]).finally(stopListening);
    button.release();
    await ended;
    if (runner.state !== 'idle') await waiter.next((r) => r.type === 'state' && (r.state === 'idle' || r.state === 'offline'), TURN_TIMEOUT_MS, 'the toy to be idle');
  }
}

/**
 * Hands-free: each step is spoken into the microphone that streams on, once the toy has answered
 * the step before (its turn was reported), and the gateway hears where the child stopped. When
 * hands-free has ended (nobody spoke for the gateway's idle time), a double press turns it back on,
 * as a child would.
 */
async function handsFreeScript(steps: readonly Step[], hardware: Hardware, runner: ReturnType<typeof startDevice>, waiter: ReportWaiter, stepTurns: TurnReport[]): Promise<void> {
  const button = hardware.button;
  const mic = hardware.microphone;
  if (!(button instanceof ScriptedButton) || !(mic instanceof WavMicrophone)) throw new Error('a script needs the scripted button and the WAV microphone');
  for (const step of steps) {
    const pcm = 'say' in step ? await synthesizeUtterance(step.say) : undefined;
    if (runner.state === 'locked') throw Object.assign(new Error('the toy is locked by a parent ("pommai devices unlock ID" lifts it)'), { code: 'locked' });
    if (!HANDS_FREE_STATES.has(runner.state)) {
      if (runner.state !== 'idle') await waiter.next((r) => r.type === 'state' && r.state === 'idle', TURN_TIMEOUT_MS, 'the toy to be idle');
      button.press();
      button.release();
      button.press();
      button.release();
      if (!HANDS_FREE_STATES.has(runner.state)) throw Object.assign(new Error(`a double press did not switch hands-free on (the toy is ${runner.state})`), { code: 'hands_free_refused' });
    }
    const ended = waiter.next((r): r is TurnReport => r.type === 'turn', TURN_TIMEOUT_MS, 'the end of the turn');
    ended.catch(() => {});
    if (pcm) mic.load(pcm);
    else await mic.loadWav((step as { wav: string }).wav);
    stepTurns.push(await ended);
  }
}

/** Without a microphone, a person types what the child says and espeak-ng says it into the simulated microphone. */
async function typedTurns(say: (steps: readonly Step[]) => Promise<void>, json: boolean): Promise<void> {
  const lines = createInterface({ input: process.stdin, terminal: false });
  if (!json) process.stderr.write('No microphone found: type what the child says and press Enter (Ctrl-D to quit).\n');
  for await (const line of lines) {
    const text = line.trim();
    if (text) await say([{ say: text }]);
  }
}

function untilStopped(message: string, stop: AbortSignal): Promise<void> {
  process.stderr.write(`${message}\n`);
  return new Promise((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
}
