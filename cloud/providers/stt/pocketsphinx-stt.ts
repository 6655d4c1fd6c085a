import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UPLINK_AUDIO } from '../../../protocol/index.js';
import { abortError, ProviderError } from '../provider-error.js';
import { acousticConfidence } from './acoustic-confidence.js';
import type { RejectionThresholds } from './acoustic-confidence.js';
import { isWordSegment } from './backtrace-log.js';
import type { Segment } from './backtrace-log.js';
import { ARPABET_PHONES, buildPhoneLoopGrammar, buildPhraseGrammar, phraseWords } from './jsgf-grammar.js';
import { lookupPronunciations } from './lookup-pronunciations.js';
import type { Pronunciations } from './lookup-pronunciations.js';
import { normalizePhrase } from './normalize-phrase.js';
import { PocketsphinxProcess, UNAVAILABLE_HINT } from './pocketsphinx-process.js';
import type { DecodeOutput } from './pocketsphinx-process.js';
import { SpeechGate } from './speech-gate.js';
import type { Stt, Transcript } from './stt.js';

export interface PocketsphinxSttOptions {
  /** The sentences this recogniser understands; anything else comes back rejected. */
  readonly phrases: readonly string[];
  /** The acoustic model directory (pocketsphinx's -hmm). */
  readonly modelDir?: string;
  /** A CMU pronunciation dictionary to take the phrases' words from. */
  readonly dictionaryPath?: string;
  readonly command?: string;
  /** How long the decoder may take once the audio has ended (and to accept each piece of audio). */
  readonly timeoutMs?: number;
  /** Longer speech is not a command: it is rejected without being decoded to the end. */
  readonly maxAudioMs?: number;
  /** Words the dictionary lacks, as ARPAbet phones: { pommai: 'P AA M AY' }. */
  readonly pronunciations?: Readonly<Record<string, string>>;
  readonly rejection?: Partial<RejectionThresholds>;
  /** Told about phrases that cannot be recognised (a word missing from the dictionary). */
  readonly warn?: (message: string) => void;
}

export const DEFAULT_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us/en-us';
export const DEFAULT_DICTIONARY_PATH = '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict';

// Chosen on espeak-ng speech in six voices: they let through 1 of 120 out-of-grammar sentences and
// 82 of 150 in-grammar ones (the decoder got 105 right). Children's voices, which the adult
// acoustic model fits less well, may need them set again from recordings: hence the option.
export const DEFAULT_REJECTION: RejectionThresholds = Object.freeze({ minScore: -25, minWordScore: -50 });

// The gateway decodes the child's audio at the uplink's rate, and the acoustic model is a 16 kHz one.
const SAMPLE_RATE = UPLINK_AUDIO.sampleRate;
const NOTHING: Transcript = Object.freeze({ text: '', confidence: 0, rejected: false });
const TOO_LONG: Transcript = Object.freeze({ text: '', confidence: 0, rejected: true });

interface Prepared {
  readonly dir: string;
  readonly phraseArgs: readonly string[];
  readonly loopArgs: readonly string[];
  readonly phrases: ReadonlySet<string>;
}

/**
 * Offline speech recognition of a fixed list of phrases with pocketsphinx_continuous (0.8, Debian).
 *
 * Each utterance runs two decoders side by side on the same audio as it streams in: one bound to
 * a JSGF grammar of the phrases, one free to choose any sequence of phones. A grammar decoder
 * always answers with its nearest phrase, so the phrase is accepted only when it explains the
 * audio nearly as well as the free phones do, over the whole utterance and in every word;
 * otherwise the transcript is rejected. Silence and steady noise come back as nothing heard.
 */
export class PocketsphinxStt implements Stt {
  readonly name = 'pocketsphinx';
  private readonly phrases: readonly string[];
  private readonly modelDir: string;
  private readonly dictionaryPath: string;
  private readonly command: string;
  private readonly timeoutMs: number;
  private readonly maxSamples: number;
  private readonly extraPronunciations: ReadonlyMap<string, string>;
  private readonly thresholds: RejectionThresholds;
  private readonly warn: (message: string) => void;
  private readonly active = new Set<PocketsphinxProcess>();
  private preparing: Promise<Prepared> | undefined;
  private closed = false;

  constructor(options: PocketsphinxSttOptions) {
    if (options.phrases.length === 0) throw new ProviderError('stt_config', 'PocketsphinxStt needs at least one phrase');
    this.phrases = [...options.phrases];
    this.modelDir = options.modelDir ?? DEFAULT_MODEL_DIR;
    this.dictionaryPath = options.dictionaryPath ?? DEFAULT_DICTIONARY_PATH;
    this.command = options.command ?? 'pocketsphinx_continuous';
    this.timeoutMs = positive('timeoutMs', options.timeoutMs ?? 5_000);
    this.maxSamples = Math.round((positive('maxAudioMs', options.maxAudioMs ?? 20_000) * SAMPLE_RATE) / 1000);
    this.extraPronunciations = checkedPronunciations(options.pronunciations ?? {});
    this.thresholds = { ...DEFAULT_REJECTION, ...options.rejection };
    this.warn = options.warn ?? ((message) => console.warn(message));
  }

  async transcribe(audio: AsyncIterable<Int16Array>, signal: AbortSignal): Promise<Transcript> {
    if (signal.aborted) throw abortError(signal);
    if (this.closed) throw closedError();
    // Started now so the grammar is ready by the first loud frame; silence never waits for it.
    const preparing = this.prepare();
    preparing.catch(() => {});

    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => {});

    const gate = new SpeechGate();
    const iterator = audio[Symbol.asyncIterator]();
    let streamDone = false;
    let decoders: readonly [PocketsphinxProcess, PocketsphinxProcess] | undefined;
    let fed = 0;
    let tooLong = false;
    try {
      for (;;) {
        const step = await Promise.race([iterator.next(), aborted]);
        if (step.done === true) {
          streamDone = true;
          break;
        }
        for (const chunk of gate.push(step.value)) {
          if (tooLong) break;
          decoders ??= await this.startDecoders(preparing, aborted);
          const room = this.maxSamples - fed;
          const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
          tooLong = chunk.length > room;
          fed += piece.length;
          const written = Promise.all(decoders.map((decoder) => decoder.write(piece)));
          await this.withinTimeout(Promise.race([written, aborted]), 'did not take audio');
        }
      }
      if (decoders === undefined || !gate.speechLike()) return NOTHING;
      // Longer than any phrase takes to say: speech, but not a command. No need to hear the decoders out.
      if (tooLong) return TOO_LONG;
      for (const decoder of decoders) decoder.end();
      const finished = Promise.all([decoders[0].finished, decoders[1].finished]);
      const [phrase, loop] = await this.withinTimeout(Promise.race([finished, aborted]), 'did not finish');
      const prepared = await preparing;
      return judge(phrase, loop, prepared.phrases, this.thresholds);
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      if (this.closed) throw closedError();
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort ?? (() => {}));
      for (const decoder of decoders ?? []) {
        decoder.kill();
        this.active.delete(decoder);
      }
      if (!streamDone) {
        // Not awaited: a source blocked inside next() would hold the caller hostage.
        Promise.resolve()
          .then(() => iterator.return?.())
          .catch(() => {});
      }
    }
  }

  /** Stops running decoders and removes the grammar files. */
  async close(): Promise<void> {
    this.closed = true;
    for (const decoder of this.active) decoder.kill();
    this.active.clear();
    const preparing = this.preparing;
    this.preparing = undefined;
    if (preparing === undefined) return;
    try {
      const prepared = await preparing;
      await rm(prepared.dir, { recursive: true, force: true });
    } catch {
      // Nothing was written.
    }
  }

  private async startDecoders(
    preparing: Promise<Prepared>,
    aborted: Promise<never>,
  ): Promise<readonly [PocketsphinxProcess, PocketsphinxProcess]> {
    const prepared = await Promise.race([preparing, aborted]);
    if (this.closed) throw closedError();
    const decoders = [
      new PocketsphinxProcess(this.command, prepared.phraseArgs),
      new PocketsphinxProcess(this.command, prepared.loopArgs),
    ] as const;
    for (const decoder of decoders) this.active.add(decoder);
    return decoders;
  }

  private prepare(): Promise<Prepared> {
    if (this.preparing === undefined) {
      const preparing = this.writeGrammars();
      this.preparing = preparing;
      // A missing package may be installed later: do not remember the failure.
      preparing.catch(() => {
        if (this.preparing === preparing) this.preparing = undefined;
      });
    }
    return this.preparing;
  }

  private async writeGrammars(): Promise<Prepared> {
    await checkRunnable(this.command);
    for (const path of [join(this.modelDir, 'mdef'), this.dictionaryPath]) {
      try {
        await access(path, constants.R_OK);
      } catch (error) {
        throw new ProviderError('stt_unavailable', `cannot read ${path}: ${UNAVAILABLE_HINT}`, { cause: error });
      }
    }

    const words = phraseWords(this.phrases);
    for (const word of this.extraPronunciations.keys()) words.delete(word);
    const found = await lookupPronunciations(this.dictionaryPath, words);
    const pronunciations: Pronunciations = new Map([
      ...found,
      ...[...this.extraPronunciations].map(([word, phones]) => [word, [phones]] as const),
    ]);
    const grammar = buildPhraseGrammar(this.phrases, pronunciations);
    for (const dropped of grammar.dropped) this.warn(`pocketsphinx: cannot recognise "${dropped.phrase}": ${dropped.reason}`);
    if (grammar.phrases.length === 0) {
      throw new ProviderError('stt_config', 'none of the phrases can be recognised (see the warnings)');
    }
    const loop = buildPhoneLoopGrammar();

    const dir = await mkdtemp(join(tmpdir(), 'pommai-stt-'));
    const file = (name: string): string => join(dir, name);
    await Promise.all([
      writeFile(file('phrases.gram'), grammar.jsgf),
      writeFile(file('phrases.dict'), grammar.dictionary),
      writeFile(file('phones.gram'), loop.jsgf),
      writeFile(file('phones.dict'), loop.dictionary),
    ]);
    if (this.closed) {
      await rm(dir, { recursive: true, force: true });
      throw closedError();
    }
    const common = decoderArgs(this.modelDir);
    return {
      dir,
      phraseArgs: [...common, '-jsgf', file('phrases.gram'), '-dict', file('phrases.dict')],
      loopArgs: [...common, '-jsgf', file('phones.gram'), '-dict', file('phones.dict')],
      phrases: new Set(grammar.phrases),
    };
  }

  private async withinTimeout<T>(work: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new ProviderError('stt_timeout', `${this.command} ${what} within ${this.timeoutMs} ms`, { retryable: true }));
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function decoderArgs(modelDir: string): string[] {
  return [
    '-infile', '/dev/stdin',
    '-hmm', modelDir,
    '-samprate', String(SAMPLE_RATE),
    // The word scores the rejection step compares.
    '-backtrace', 'yes',
    // Both decoders normalise each frame by the same best senone, so their scores compare.
    '-compallsen', 'yes',
    // One press is one utterance: a pause of up to 10 s must not split it into two.
    '-vad_postspeech', '1000',
    // Wider than the defaults, which lose the only path through a grammar on one utterance in six.
    '-beam', '1e-80',
    '-pbeam', '1e-80',
    '-wbeam', '1e-60',
  ];
}

function judge(
  phrase: DecodeOutput,
  loop: DecodeOutput,
  phrases: ReadonlySet<string>,
  thresholds: RejectionThresholds,
): Transcript {
  const rejected = (confidence = 0): Transcript => ({ text: '', confidence, rejected: true });
  // The free phone loop always reaches its end: no line means its voice activity detector heard no speech.
  if (loop.hypotheses.length === 0) return NOTHING;
  const text = phrase.hypotheses.length === 1 ? normalizePhrase(phrase.hypotheses[0] ?? '') : '';
  if (!phrases.has(text)) return rejected();
  const phraseSegments = spokenUtterance(phrase.utterances);
  const loopSegments = spokenUtterance(loop.utterances);
  if (phraseSegments === undefined || loopSegments === undefined) return rejected();
  const judged = acousticConfidence(phraseSegments, loopSegments, thresholds);
  return judged.accepted ? { text, confidence: judged.confidence, rejected: false } : rejected(judged.confidence);
}

/** The one utterance with words in it; more than one means the frames no longer line up. */
function spokenUtterance(utterances: readonly (readonly Segment[])[]): readonly Segment[] | undefined {
  const spoken = utterances.filter((segments) => segments.some(isWordSegment));
  return spoken.length === 1 ? spoken[0] : undefined;
}

/** Whether the program can be started at all, found without running a decode. */
async function checkRunnable(command: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = spawn(command, [], { stdio: 'ignore' });
    probe.once('spawn', () => {
      probe.kill('SIGKILL');
      resolve();
    });
    probe.once('error', (error) => {
      reject(new ProviderError('stt_unavailable', `cannot run ${command}: ${UNAVAILABLE_HINT}`, { cause: error }));
    });
  });
}

function checkedPronunciations(extra: Readonly<Record<string, string>>): ReadonlyMap<string, string> {
  const checked = new Map<string, string>();
  for (const [word, phones] of Object.entries(extra)) {
    const normal = normalizePhrase(word);
    const list = phones.trim().toUpperCase().split(/\s+/);
    if (normal === '' || normal.includes(' ') || !list.every((phone) => ARPABET_PHONES.includes(phone))) {
      throw new ProviderError('stt_config', `pronunciations.${word} must be one word and ARPAbet phones, got "${phones}"`);
    }
    checked.set(normal, list.join(' '));
  }
  return checked;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new ProviderError('stt_config', `${name} must be a positive number, got ${value}`);
  return value;
}

function closedError(): ProviderError {
  return new ProviderError('stt_closed', 'the recogniser has been closed');
}
