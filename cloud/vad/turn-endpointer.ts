import { rms } from '../../audio/pcm-level.js';
import { SampleHistory } from './sample-history.js';
import { VAD_SAMPLE_RATE, type Vad } from './vad.js';

/**
 * `listen`: the toy waits for the child. `barge-in`: the toy is speaking and its own voice may leak
 * into the microphone, so a start needs more certainty and more speech.
 */
export type EndpointMode = 'listen' | 'barge-in';

/** `starting`: speech heard but not yet long enough to count; `overrun`: a turn was cut at its maximum length and the speaker has not paused since. */
export type EndpointState = 'quiet' | 'starting' | 'speaking' | 'overrun';

export type TurnEndReason = 'pause' | 'max-length' | 'stream-end';

/** Positions are samples since the first sample pushed (16 kHz): divide by 16 for milliseconds. */
export type EndpointEvent =
  | {
      readonly type: 'speech-start';
      /** The mode whose criteria the start met: `barge-in` means the child talked over the toy. */
      readonly mode: EndpointMode;
      /** Position of `audio[0]`: the pre-roll before the first speech window. */
      readonly startSample: number;
      /** Start of the first window the detector heard as speech. */
      readonly speechStartSample: number;
      /** The utterance so far, pre-roll included, up to the end of the audio pushed. */
      readonly audio: Int16Array;
    }
  | {
      readonly type: 'speech-audio';
      /** More of the utterance, directly after the audio already given. */
      readonly audio: Int16Array;
    }
  | {
      readonly type: 'turn-end';
      readonly reason: TurnEndReason;
      /** End of the last window heard as speech. */
      readonly speechEndSample: number;
      /** Where the turn was decided: after the pause, at the maximum length, or at the end of the stream. */
      readonly endSample: number;
      /** The rest of the utterance up to `endSample` not given yet; often empty. */
      readonly audio: Int16Array;
    };

export interface StartCriteria {
  /** A window at or above this probability is speech while a start is looked for. */
  readonly threshold: number;
  /** Speech needed, in ms, before a start counts: a cough or a bump on the table is shorter. */
  readonly minSpeechMs: number;
  /**
   * Optionally, a window also needs this RMS level (dBFS) to count. Any detector hears the toy's
   * own voice leaking into the microphone as speech; where the leak is quieter than a child
   * talking to the toy, a level measured on the hardware separates them. Unset: no level test.
   */
  readonly minLevelDbfs?: number;
}

export interface TurnEndpointerOptions {
  readonly listen?: Partial<StartCriteria>;
  /** Stricter, for when the toy is speaking. */
  readonly bargeIn?: Partial<StartCriteria>;
  /**
   * Once speaking, a window below this is silence. At most the start thresholds; lower gives
   * hysteresis, but Silero's probability lingers after speech in noise, so lower ends turns later
   * (bench/README.md, "## vad").
   */
  readonly silenceThreshold?: number;
  /** Silence, in ms, that abandons a start not yet confirmed. */
  readonly startGapMs?: number;
  /** The pause after speech, in ms, that ends the turn. */
  readonly endSilenceMs?: number;
  /** Sound in a pause must last this long, in ms, to count as speech again: shorter is a knock, and the pause goes on. */
  readonly minResumeMs?: number;
  /** Longest utterance, in ms, pre-roll included; the turn is ended there. */
  readonly maxUtteranceMs?: number;
  /** Audio kept from before the first speech window, in ms, so the first word is whole. */
  readonly preRollMs?: number;
  readonly mode?: EndpointMode;
}

export interface TurnEndpointerSettings {
  readonly listen: StartCriteria;
  readonly bargeIn: StartCriteria;
  readonly silenceThreshold: number;
  readonly startGapMs: number;
  readonly endSilenceMs: number;
  readonly minResumeMs: number;
  readonly maxUtteranceMs: number;
  readonly preRollMs: number;
}

export const DEFAULT_ENDPOINTER_SETTINGS: TurnEndpointerSettings = Object.freeze({
  listen: Object.freeze({ threshold: 0.5, minSpeechMs: 250 }),
  bargeIn: Object.freeze({ threshold: 0.8, minSpeechMs: 400 }),
  silenceThreshold: 0.5,
  startGapMs: 150,
  endSilenceMs: 700,
  minResumeMs: 90,
  maxUtteranceMs: 15_000,
  preRollMs: 300,
});

/** Audio is handed to the detector in pieces of at most this, so a huge push cannot outgrow the history. */
const PIECE = 960;

/**
 * Finds turns in a continuous microphone stream for hands-free mode: where the child starts
 * speaking (after enough speech that a cough does not count, with a pre-roll so the first word is
 * whole), and where the turn ends (a pause after speech, or the maximum length). While the toy
 * speaks, `setMode('barge-in')` makes a start stricter; such a start is how the child interrupts.
 *
 * The utterance's audio comes out with the events, so a session can stream it to speech
 * recognition as it arrives; the endpointer itself keeps only a bounded history for the pre-roll.
 * Calls are handled in the order made; each resolves with the events its audio caused.
 */
export class TurnEndpointer {
  readonly settings: TurnEndpointerSettings;
  private readonly vad: Vad;
  private readonly history: SampleHistory;
  private currentMode: EndpointMode;
  private currentState: EndpointState = 'quiet';
  private analysed = 0;
  private forwarded = 0;
  private speechStart = 0;
  private speechInStart = 0;
  private gap = 0;
  private utteranceStart = 0;
  private lastSpeechEnd = 0;
  private silence = 0;
  private resumed = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private generation = 0;

  constructor(vad: Vad, options: TurnEndpointerOptions = {}) {
    this.vad = vad;
    this.settings = settingsFrom(options);
    this.currentMode = options.mode ?? 'listen';
    const longestStart = Math.max(startSpan(this.settings.listen, this.settings), startSpan(this.settings.bargeIn, this.settings));
    this.history = new SampleHistory(ms(this.settings.preRollMs) + longestStart + 2 * PIECE + 2 * vad.windowSamples);
  }

  get mode(): EndpointMode {
    return this.currentMode;
  }

  get state(): EndpointState {
    return this.currentState;
  }

  /** Samples pushed since the start (or the last reset). */
  get position(): number {
    return this.history.length;
  }

  /** Takes effect from the next analysis window; a turn already under way goes on. */
  setMode(mode: EndpointMode): void {
    this.currentMode = mode;
  }

  push(pcm: Int16Array): Promise<EndpointEvent[]> {
    return this.serialise(async (generation) => {
      const events: EndpointEvent[] = [];
      for (let from = 0; from < pcm.length; from += PIECE) {
        const piece = pcm.subarray(from, Math.min(pcm.length, from + PIECE));
        const probabilities = await this.vad.process(piece);
        if (generation !== this.generation) return [];
        this.history.append(piece);
        for (const probability of probabilities) this.window(probability, events);
        if (this.currentState === 'speaking' && this.forwarded < this.history.length) {
          events.push({ type: 'speech-audio', audio: this.history.read(this.forwarded, this.history.length) });
          this.forwarded = this.history.length;
        }
      }
      return events;
    });
  }

  /** Ends a turn under way (the stream stopped, hands-free was switched off): resolves with its turn-end, if any. */
  finish(): Promise<EndpointEvent[]> {
    return this.serialise(async () => {
      const events: EndpointEvent[] = [];
      if (this.currentState === 'speaking') {
        this.end('stream-end', this.history.length, events);
      }
      this.currentState = 'quiet';
      return events;
    });
  }

  /** Forgets the stream and the detector's state; positions start again at 0. Pushes still queued resolve with no events. */
  reset(): void {
    this.generation++;
    this.vad.reset();
    this.history.clear();
    this.currentState = 'quiet';
    this.analysed = 0;
    this.forwarded = 0;
  }

  private serialise(work: (generation: number) => Promise<EndpointEvent[]>): Promise<EndpointEvent[]> {
    const generation = this.generation;
    const result = this.tail.then(() => (generation === this.generation ? work(generation) : []));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private window(probability: number, events: EndpointEvent[]): void {
    const size = this.vad.windowSamples;
    const start = this.analysed;
    const end = (this.analysed += size);
    const criteria = this.currentMode === 'barge-in' ? this.settings.bargeIn : this.settings.listen;
    switch (this.currentState) {
      case 'quiet':
        if (this.isStartSpeech(probability, criteria, start, end)) {
          this.currentState = 'starting';
          this.speechStart = start;
          this.speechInStart = 0;
          this.gap = 0;
          this.starting(true, size, criteria, events);
        }
        return;
      case 'starting':
        this.starting(this.isStartSpeech(probability, criteria, start, end), size, criteria, events);
        return;
      case 'speaking':
        if (probability >= this.settings.silenceThreshold) {
          this.resumed += size;
          // In a pause, a knock or a click (shorter than minResumeMs) does not start the pause again.
          if (this.silence === 0 || this.resumed >= ms(this.settings.minResumeMs)) {
            this.silence = 0;
            this.lastSpeechEnd = end;
          } else this.silence += size;
        } else {
          this.resumed = 0;
          this.silence += size;
        }
        if (this.silence >= ms(this.settings.endSilenceMs)) this.end('pause', end, events);
        else if (end - this.utteranceStart >= ms(this.settings.maxUtteranceMs)) {
          this.end('max-length', end, events);
          this.currentState = 'overrun';
        }
        return;
      case 'overrun':
        if (probability < this.settings.silenceThreshold) this.silence += size;
        else this.silence = 0;
        if (this.silence >= ms(this.settings.endSilenceMs)) this.currentState = 'quiet';
        return;
    }
  }

  private isStartSpeech(probability: number, criteria: StartCriteria, start: number, end: number): boolean {
    if (probability < criteria.threshold) return false;
    if (criteria.minLevelDbfs === undefined) return true;
    return levelDbfs(this.history.read(start, end)) >= criteria.minLevelDbfs;
  }

  private starting(speech: boolean, size: number, criteria: StartCriteria, events: EndpointEvent[]): void {
    const end = this.analysed;
    if (speech) {
      this.speechInStart += size;
      this.gap = 0;
      this.lastSpeechEnd = end;
    } else this.gap += size;
    if (this.speechInStart < ms(criteria.minSpeechMs)) {
      // Bits of sound with gaps between never add up to a start: the start must be recent speech.
      const tooOld = end - this.speechStart > startSpan(criteria, this.settings);
      if (this.gap >= ms(this.settings.startGapMs) || tooOld) this.currentState = 'quiet';
      return;
    }
    this.currentState = 'speaking';
    this.silence = 0;
    this.resumed = 0;
    this.utteranceStart = Math.max(0, this.speechStart - ms(this.settings.preRollMs), this.history.oldest);
    const audio = this.history.read(this.utteranceStart, this.history.length);
    this.forwarded = this.history.length;
    events.push({ type: 'speech-start', mode: this.currentMode, startSample: this.utteranceStart, speechStartSample: this.speechStart, audio });
  }

  private end(reason: TurnEndReason, at: number, events: EndpointEvent[]): void {
    const audio = at > this.forwarded ? this.history.read(this.forwarded, at) : new Int16Array(0);
    this.forwarded = Math.max(this.forwarded, at);
    events.push({ type: 'turn-end', reason, speechEndSample: this.lastSpeechEnd, endSample: at, audio });
    this.currentState = 'quiet';
    this.silence = 0;
  }
}

function levelDbfs(pcm: Int16Array): number {
  // -120 dBFS for digital silence rather than -Infinity.
  return 20 * Math.log10(rms(pcm) / 32768 + 1e-6);
}

/** The longest a start may take to gather its speech, in samples. */
function startSpan(criteria: StartCriteria, settings: TurnEndpointerSettings): number {
  return ms(3 * criteria.minSpeechMs + settings.startGapMs);
}

function ms(milliseconds: number): number {
  return Math.round((milliseconds * VAD_SAMPLE_RATE) / 1000);
}

function settingsFrom(options: TurnEndpointerOptions): TurnEndpointerSettings {
  const d = DEFAULT_ENDPOINTER_SETTINGS;
  const settings: TurnEndpointerSettings = {
    listen: { ...d.listen, ...options.listen },
    bargeIn: { ...d.bargeIn, ...options.bargeIn },
    silenceThreshold: options.silenceThreshold ?? d.silenceThreshold,
    startGapMs: options.startGapMs ?? d.startGapMs,
    endSilenceMs: options.endSilenceMs ?? d.endSilenceMs,
    minResumeMs: options.minResumeMs ?? d.minResumeMs,
    maxUtteranceMs: options.maxUtteranceMs ?? d.maxUtteranceMs,
    preRollMs: options.preRollMs ?? d.preRollMs,
  };
  const probability = (name: string, value: number): void => {
    if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must be between 0 and 1, got ${value}`);
  };
  const duration = (name: string, value: number, min: number, max: number): void => {
    if (!(value >= min && value <= max)) throw new RangeError(`${name} must be ${min}..${max} ms, got ${value}`);
  };
  probability('listen.threshold', settings.listen.threshold);
  probability('bargeIn.threshold', settings.bargeIn.threshold);
  probability('silenceThreshold', settings.silenceThreshold);
  duration('listen.minSpeechMs', settings.listen.minSpeechMs, 0, 5_000);
  duration('bargeIn.minSpeechMs', settings.bargeIn.minSpeechMs, 0, 5_000);
  duration('startGapMs', settings.startGapMs, 0, 5_000);
  duration('endSilenceMs', settings.endSilenceMs, 50, 10_000);
  duration('minResumeMs', settings.minResumeMs, 0, 1_000);
  duration('maxUtteranceMs', settings.maxUtteranceMs, 500, 120_000);
  duration('preRollMs', settings.preRollMs, 0, 2_000);
  for (const [name, level] of [['listen.minLevelDbfs', settings.listen.minLevelDbfs], ['bargeIn.minLevelDbfs', settings.bargeIn.minLevelDbfs]] as const) {
    if (level !== undefined && !(level >= -120 && level <= 0)) throw new RangeError(`${name} must be -120..0 dBFS, got ${level}`);
  }
  if (settings.silenceThreshold > Math.min(settings.listen.threshold, settings.bargeIn.threshold)) {
    throw new RangeError('silenceThreshold must not be above the start thresholds');
  }
  return Object.freeze({ ...settings, listen: Object.freeze(settings.listen), bargeIn: Object.freeze(settings.bargeIn) });
}
