import { TurnEndpointer, type EndpointEvent, type TurnEndpointerOptions } from '../vad/turn-endpointer.js';
import { VAD_SAMPLE_RATE, type Vad } from '../vad/vad.js';

/** What the listener tells its session, always naming the turn it is about. */
export interface HandsFreeEvents {
  /** The child began to speak in a listening turn: its words follow through `speech`. */
  speechStarted(turn: number): void;
  /** More of the child's words (16 kHz PCM), the pre-roll first. */
  speech(turn: number, pcm: Int16Array): void;
  /** The child's turn is over. `hangoverMs`: the pause waited for after the last word. */
  turnEnded(turn: number, hangoverMs: number): void;
  /** The child spoke over `turn`'s reply: that turn is to be cut; the words go to the next turn. */
  bargedIn(turn: number): void;
  /** Nothing was said for the idle time: hands-free is over. */
  idle(turn: number): void;
  /** The detector failed on some audio (or its events could not be handled): that audio is not heard. */
  failed?(error: Error): void;
}

export interface HandsFreeOptions {
  /** How long a listening turn waits for the child to say anything before hands-free ends. */
  readonly idleMs: number;
  readonly endpointer?: TurnEndpointerOptions;
  /** The most audio (samples) carried from a barge-in to the next turn: the longest utterance. */
  readonly maxCarriedSamples: number;
}

/**
 * One device's hands-free microphone: the stream runs across turns, and this
 * finds where the child's turns begin and end in it. While a turn listens,
 * speech goes to that turn; while it is answered, speech is a barge-in, and
 * the words heard are carried over to the next turn so none is lost.
 */
export class HandsFreeListener {
  private readonly endpointer: TurnEndpointer;
  private turn: number | undefined;
  private listening = false;
  private idleTimer: NodeJS.Timeout | undefined;
  /** The child's words heard since a barge-in, waiting for the next turn. */
  private carried: Int16Array[] | undefined;
  private carriedSamples = 0;
  private carriedEnd: number | undefined;
  private closed = false;

  constructor(
    private readonly vad: Vad,
    private readonly options: HandsFreeOptions,
    private readonly events: HandsFreeEvents,
  ) {
    this.endpointer = new TurnEndpointer(vad, options.endpointer);
  }

  /** The turn whose microphone frames are listened to. */
  get currentTurn(): number | undefined {
    return this.turn;
  }

  /** A new hands-free turn starts listening; words carried from a barge-in are its beginning. */
  listen(turn: number): void {
    if (this.closed) return;
    this.turn = turn;
    this.listening = true;
    this.endpointer.setMode('listen');
    const carried = this.carried;
    if (carried !== undefined) {
      this.carried = undefined;
      this.carriedSamples = 0;
      this.events.speechStarted(turn);
      for (const pcm of carried) this.events.speech(turn, pcm);
      const end = this.carriedEnd;
      this.carriedEnd = undefined;
      if (end !== undefined) this.ended(end);
      return;
    }
    this.armIdle();
  }

  /** Microphone audio of `turn`; audio of any other turn is not the child's current words. */
  hear(turn: number, pcm: Int16Array): void {
    if (this.closed || turn !== this.turn) return;
    // Events are routed by the listener's state when they come, not by the turn their audio was
    // part of: the stream is continuous, so words heard before the next turn began belong to it.
    this.endpointer
      .push(pcm)
      .then((events) => this.handle(events))
      .catch((error: unknown) => this.events.failed?.(error as Error));
  }

  /** The device switched hands-free off: a turn under way ends where it is. Resolves once handled. */
  async stop(): Promise<void> {
    if (this.turn === undefined || this.closed) return;
    try {
      this.handle(await this.endpointer.finish());
    } catch (error) {
      this.events.failed?.(error as Error);
    }
    this.close();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.carried = undefined;
    this.endpointer.reset();
    void this.vad.close().catch(() => undefined);
  }

  private handle(events: readonly EndpointEvent[]): void {
    const turn = this.turn;
    if (this.closed || turn === undefined) return;
    for (const event of events) {
      if (event.type === 'speech-start') {
        clearTimeout(this.idleTimer);
        if (this.listening) {
          this.events.speechStarted(turn);
          this.events.speech(turn, event.audio);
        } else {
          // The child talked over the answer: it is cut, and these words begin the next turn.
          this.carried = [event.audio];
          this.carriedSamples = event.audio.length;
          this.events.bargedIn(turn);
        }
      } else if (event.type === 'speech-audio') {
        if (this.listening) this.events.speech(turn, event.audio);
        else this.carry(event.audio);
      } else {
        const hangoverMs = Math.max(0, Math.round(((event.endSample - event.speechEndSample) * 1000) / VAD_SAMPLE_RATE));
        if (this.listening) {
          if (event.audio.length > 0) this.events.speech(turn, event.audio);
          this.ended(hangoverMs);
        } else if (this.carried !== undefined) {
          this.carry(event.audio);
          this.carriedEnd = hangoverMs;
        }
      }
    }
  }

  private ended(hangoverMs: number): void {
    const turn = this.turn;
    if (turn === undefined) return;
    this.listening = false;
    // While the answer plays, the toy's own voice may leak into the microphone: a start must be surer.
    this.endpointer.setMode('barge-in');
    this.events.turnEnded(turn, hangoverMs);
  }

  private carry(pcm: Int16Array): void {
    if (this.carried === undefined || pcm.length === 0) return;
    if (this.carriedSamples + pcm.length > this.options.maxCarriedSamples) return;
    this.carried.push(pcm);
    this.carriedSamples += pcm.length;
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    const turn = this.turn;
    this.idleTimer = setTimeout(() => {
      if (this.closed || turn !== this.turn || !this.listening) return;
      this.events.idle(turn as number);
      this.close();
    }, this.options.idleMs);
  }
}
