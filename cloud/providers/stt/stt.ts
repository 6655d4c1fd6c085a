export interface Transcript {
  /** What the child said, lower case, or '' when nothing was understood. */
  readonly text: string;
  /** 0..1, how sure the recogniser is. */
  readonly confidence: number;
  /** True when speech was heard but did not match what this recogniser can understand. */
  readonly rejected: boolean;
}

/** Speech to text. Audio is 16 kHz mono signed 16-bit PCM, streamed while the child speaks. */
export interface Stt {
  readonly name: string;
  transcribe(audio: AsyncIterable<Int16Array>, signal: AbortSignal): Promise<Transcript>;
}
