import { randomUUID } from 'node:crypto';
import { createOpusEncoder, type OpusDecoder, type OpusEncoder } from '../../audio/opus-codec.js';
import type { Log } from '../../log/log.js';
import { AudioKind, DOWNLINK_AUDIO, ErrorCode, encodeAudioFrame, type GatewayMessage } from '../../protocol/index.js';
import type { ConversationMemory } from '../memory/conversation-memory.js';
import type { ChatMessage } from '../providers/llm/llm.js';
import type { TurnProviders } from '../providers/turn-providers.js';
import type { TurnRecord } from '../store/store.js';
import type { TurnLog } from '../store/turn-log.js';
import { TurnReportJoiner } from '../store/turn-report-joiner.js';
import type { ToyProfile } from '../toy/toy-profile.js';
import { BoundedQueue } from '../turn/bounded-queue.js';
import type { ReplyCache } from '../turn/reply-cache.js';
import { DEFAULT_TURN_BUDGET } from '../turn/turn-budget.js';
import { runTurn } from '../turn/turn-pipeline.js';
import type { GatewayConfig } from './gateway-config.js';

/** One turn the session opened: its audio, its signal and what the session measured of it. */
export interface ActiveTurn {
  /** Its record's id, the same from the first row written to the last. */
  readonly id: string;
  readonly turn: number;
  readonly controller: AbortController;
  readonly pcm: BoundedQueue<Int16Array>;
  /** Push-to-talk only: a hands-free stream has one decoder across its turns. */
  readonly decoder: OpusDecoder | undefined;
  readonly startedAt: Date;
  listenStoppedAt?: number;
  /** Uplink frames taken into this turn, bounded by maxUtteranceFrames. */
  accepted: number;
  /** Timings the session measured itself (the pause waited for in hands-free). */
  readonly extraTimings: Record<string, number>;
  /** Settles when the first of the child's audio is in `pcm`: from then on the turn has a record. */
  readonly firstAudio: Promise<void>;
  /** Whoever puts the child's audio into `pcm` says so here (every time; only the first counts). */
  readonly audioArrived: () => void;
}

/** A new turn: push-to-talk turns bring their own decoder. */
export function openTurn(turn: number, maxUtteranceFrames: number, decoder?: OpusDecoder): ActiveTurn {
  let arrived = () => {};
  const firstAudio = new Promise<void>((resolve) => (arrived = resolve));
  return {
    id: randomUUID(),
    turn,
    controller: new AbortController(),
    pcm: new BoundedQueue(maxUtteranceFrames),
    decoder,
    startedAt: new Date(),
    accepted: 0,
    extraTimings: {},
    firstAudio,
    audioArrived: () => arrived(),
  };
}

/** How the pipeline left a turn, as the session's table hears it. */
export type TurnEnd = 'done' | 'failed' | 'aborted';

export interface TurnRunnerDeps {
  readonly config: GatewayConfig;
  readonly providers: TurnProviders;
  readonly toy: ToyProfile;
  readonly turnLog: Pick<TurnLog, 'write'>;
  readonly replies?: ReplyCache;
  readonly log: Log;
  readonly sessionId: string;
  readonly deviceId: () => string | undefined;
  readonly memory: () => ConversationMemory | undefined;
  readonly prompt: (transcript: string) => Promise<readonly ChatMessage[]>;
  /** Sends a message to the device (nothing once the connection is gone). */
  readonly send: (message: GatewayMessage) => void;
  /** Sends one binary frame to the device (nothing once the connection is gone). */
  readonly sendFrame: (frame: Uint8Array) => void;
}

/**
 * Runs a session's turns through the streaming pipeline and says what the
 * device is told of each: its transcript, reply, audio, metrics and how it
 * ended.
 *
 * A turn is recorded from the moment the child's first audio arrives
 * ('started'), again once its words are known ('heard'), and once more when it
 * ends, a cut one too; then joined with the device's report when that comes.
 * A gateway killed mid-turn leaves the row of how far it got, which the next
 * start marks interrupted. A turn that never got any audio (a press let go at
 * once, a flood of listen starts) is logged but leaves no row.
 */
export class TurnRunner {
  /** Turns still unwinding (an aborted turn finishes and is logged after the abort). */
  private readonly running = new Set<Promise<void>>();
  /** Their numbers, so a report can tell a turn still unwinding from one the session never ran. */
  private readonly runningTurns = new Set<number>();
  private readonly joiner: TurnReportJoiner;
  /** Turns answered in this session: the first one may come from the reply cache. */
  private answered = 0;
  private encoder: OpusEncoder | undefined;

  constructor(private readonly deps: TurnRunnerDeps) {
    this.joiner = new TurnReportJoiner({ write: (turn) => deps.turnLog.write(turn), remember: 8, running: (turn) => this.runningTurns.has(turn) });
  }

  /** Starts the turn's pipeline; `ended` hears how it ended once it has been recorded. */
  start(turn: ActiveTurn, ended: (how: TurnEnd) => void): void {
    const done = this.run(turn).then(ended, (error: unknown) => {
      // The pipeline is built never to throw; if it does, the device hears of it and the table moves on.
      this.deps.log('error', 'turn crashed', { session: this.deps.sessionId, turn: turn.turn, error: (error as Error).message });
      if (!turn.controller.signal.aborted) this.deps.send({ type: 'error', code: ErrorCode.TurnFailed, message: 'turn failed', retryable: true, turn: turn.turn });
      ended(turn.controller.signal.aborted ? 'aborted' : 'failed');
    }).catch((error: unknown) => {
      this.deps.log('error', 'turn end not handled', { session: this.deps.sessionId, turn: turn.turn, error: (error as Error).message });
    });
    this.running.add(done);
    this.runningTurns.add(turn.turn);
    void done.finally(() => {
      this.running.delete(done);
      this.runningTurns.delete(turn.turn);
    });
  }

  /** The device's measurements of a turn. */
  reported(turn: number, timings: Readonly<Record<string, number>>): void {
    this.joiner.reported(turn, timings);
  }

  /** Resolves when every turn started has finished and been handed to the turn log. */
  async settled(): Promise<void> {
    await Promise.all(this.running);
  }

  private async run(turn: ActiveTurn): Promise<TurnEnd> {
    const { config, log, send, sessionId } = this.deps;
    this.encoder ??= createOpusEncoder({ sampleRate: DOWNLINK_AUDIO.sampleRate, frameMs: DOWNLINK_AUDIO.frameMs, bitrate: config.downlinkBitrate, application: 'audio' });
    const number = turn.turn;
    let sequence = 0;
    const record = (fields: Pick<TurnRecord, 'outcome'> & Partial<TurnRecord>): TurnRecord => ({
      id: turn.id,
      deviceId: this.deps.deviceId() ?? 'unknown',
      sessionId,
      turn: number,
      startedAt: turn.startedAt.toISOString(),
      transcript: '',
      reply: '',
      safety: [],
      timings: {},
      ...fields,
    });
    // What the turn's row says so far: nothing until audio arrives, then how far it got, then 'ended'.
    let recorded = 'none' as 'none' | 'started' | 'heard' | 'ended';
    // Whether the turn has a row, and whether its end has been handed to the log: a crash between the two must end it.
    let rowStarted = false;
    let rowEnded = false;
    void turn.firstAudio.then(() => {
      if (recorded !== 'none') return;
      recorded = 'started';
      rowStarted = true;
      this.deps.turnLog.write(record({ outcome: 'started' }));
    });
    try {
      const result = await runTurn(
        { audio: turn.pcm, listenStoppedAt: () => turn.listenStoppedAt, messages: (transcript) => this.deps.prompt(transcript), toy: this.deps.toy, conversationStart: this.answered === 0, anonymous: this.deps.memory()?.isEmpty ?? true },
        this.deps.providers,
        {
          transcript: (text) => {
            send({ type: 'transcript', turn: number, text });
            if (recorded !== 'started') return;
            recorded = 'heard';
            this.deps.turnLog.write(record({ outcome: 'heard', transcript: text }));
          },
          reply: (index, text) => send({ type: 'reply', turn: number, index, text }),
          speakStart: () => send({ type: 'speak', state: 'start', turn: number }),
          audio: (payload) => this.deps.sendFrame(encodeAudioFrame({ kind: AudioKind.Voice, turn: number, sequence: sequence++, payload })),
        },
        {
          downlink: DOWNLINK_AUDIO,
          encoder: this.encoder,
          pacing: config.pacing,
          sentenceQueue: 4,
          budget: { ...DEFAULT_TURN_BUDGET, totalMs: config.turnBudgetMs },
          ...(this.deps.replies ? { replies: this.deps.replies } : {}),
          onRetry: (stage, error, attempt) => log('warn', 'retrying a stage', { session: sessionId, turn: number, stage, attempt, code: error.code, error: error.message, retryAfterMs: error.retryAfterMs }),
        },
        turn.controller.signal,
      );
      const timings = { ...result.timings, ...turn.extraTimings };
      let end: TurnEnd = 'aborted';
      // A turn cut while its fallback was tried still comes back failed: the device, already on to the next, hears nothing of it.
      if (result.outcome !== 'aborted' && !turn.controller.signal.aborted) {
        send({ type: 'metrics', turn: number, timings });
        // A failed turn that still spoke its kind fallback ends like any other; a silent one is an error.
        if (result.outcome === 'failed' && !result.spoke) {
          send({ type: 'error', code: ErrorCode.TurnFailed, message: result.error?.message ?? 'turn failed', retryable: true, turn: number });
          end = 'failed';
        } else {
          send({ type: 'speak', state: 'stop', turn: number });
          end = 'done';
        }
      }
      if (result.transcript && result.reply && result.outcome === 'answered') {
        this.answered++;
        // Read now, not at the start: a turn begun while the memory was still opening is remembered too.
        void this.deps.memory()?.remember(result.transcript, result.reply);
      }
      const deviceId = this.deps.deviceId();
      const hadAudio = recorded !== 'none';
      recorded = 'ended';
      log(result.outcome === 'failed' ? 'error' : 'info', 'turn ended', { session: sessionId, device: deviceId, turn: number, outcome: result.outcome, timings, recorded: hadAudio, ...(result.error ? { error: result.error } : {}) });
      if (hadAudio) {
        rowEnded = true;
        this.joiner.finished(
          record({ transcript: result.transcript, reply: result.reply, outcome: result.outcome, safety: result.safety, timings, ...(result.error ? { error: result.error } : {}) }),
        );
      }
      return end;
    } catch (error) {
      // The pipeline is built never to throw; if it did, a row already started must still say how the turn ended.
      recorded = 'ended';
      if (rowStarted && !rowEnded) this.joiner.finished(record({ outcome: 'failed', error: { code: 'internal', message: (error as Error).message } }));
      throw error;
    }
  }
}
