import type { OpusDecoder } from '../../audio/opus-codec.js';
import { AudioKind, ErrorCode, decodeAudioFrame } from '../../protocol/index.js';
import type { BoundedQueue } from '../turn/bounded-queue.js';
import type { HandsFreeListener } from './hands-free-listener.js';
import type { SessionCounters } from './session-counters.js';

/** The push-to-talk turn that is hearing the child. */
export interface PushAudio {
  readonly turn: number;
  readonly decoder: OpusDecoder;
  readonly pcm: BoundedQueue<Int16Array>;
  /** Uplink frames taken into this turn, bounded by the longest utterance. */
  accepted: number;
  /** Hears of each frame taken: the turn is recorded from its first. */
  audioArrived(): void;
}

/** The hands-free microphone stream: one decoder for all of it, across turns. */
export interface HandsFreeAudio {
  readonly listener: Pick<HandsFreeListener, 'currentTurn' | 'hear'>;
  readonly decoder: OpusDecoder;
}

/** Where microphone audio may go right now, as the session's state says. */
export interface UplinkRoutes {
  handsFree(): HandsFreeAudio | undefined;
  pushTurn(): PushAudio | undefined;
}

export interface UplinkRouterOptions {
  /** The longest utterance, in frames: past it audio is dropped and counted. */
  readonly maxUtteranceFrames: number;
  /** Tells the device of a bad frame (an error message; the session lives on). */
  readonly reportBadFrame: (code: string, message: string) => void;
}

/**
 * An authenticated device's binary frames: validated, decoded, and given to
 * the hands-free listener or the push-to-talk turn they belong to. Audio of no
 * listening turn is dropped and counted, never heard; a bad frame is counted
 * and answered, and the session goes on.
 */
export class UplinkRouter {
  constructor(
    private readonly routes: UplinkRoutes,
    private readonly counters: SessionCounters,
    private readonly options: UplinkRouterOptions,
  ) {}

  route(data: Uint8Array): void {
    const decoded = decodeAudioFrame(data);
    if (!decoded.ok) {
      this.counters.badFrames++;
      this.options.reportBadFrame(decoded.error.code, decoded.error.message);
      return;
    }
    const frame = decoded.frame;
    if (frame.kind !== AudioKind.Microphone) {
      this.counters.framesDropped++;
      return;
    }
    const handsFree = this.routes.handsFree();
    // Hands-free audio goes on while the turn is answered: the listener hears every frame of its turn.
    if (handsFree !== undefined && frame.turn === handsFree.listener.currentTurn) {
      const pcm = this.decode(handsFree.decoder, frame);
      // The endpointer ends a turn at the longest utterance itself, so nothing is counted here.
      if (pcm) handsFree.listener.hear(frame.turn, pcm);
      return;
    }
    const turn = this.routes.pushTurn();
    if (turn === undefined || frame.turn !== turn.turn) {
      this.counters.framesDropped++;
      return;
    }
    const pcm = this.decode(turn.decoder, frame);
    if (!pcm) return;
    // A child holding the button forever must not grow memory without bound: past the longest
    // utterance, audio is dropped and counted, and the turn waits for the device's own listen stop.
    if (turn.accepted >= this.options.maxUtteranceFrames || !turn.pcm.push(pcm)) {
      this.counters.framesDropped++;
      return;
    }
    turn.accepted++;
    turn.audioArrived();
  }

  /** One uplink packet as PCM; a packet that is not Opus is counted and answered, and gives nothing. */
  private decode(decoder: OpusDecoder, frame: { readonly turn: number; readonly sequence: number; readonly payload: Uint8Array }): Int16Array | undefined {
    try {
      return decoder.decode(frame.payload);
    } catch (error) {
      this.counters.badFrames++;
      this.options.reportBadFrame(ErrorCode.MalformedFrame, `audio frame ${frame.sequence} of turn ${frame.turn} is not Opus: ${(error as Error).message}`);
      return undefined;
    }
  }
}
