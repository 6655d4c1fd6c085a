/** Counters a parent, an operator or a test can read of one device's session. */
export interface SessionCounters {
  framesReceived: number;
  /** Audio outside listen start/stop, or of another turn: dropped, never heard. */
  framesDropped: number;
  framesSent: number;
  badFrames: number;
  /** Frames past the session's allowed rate: dropped unread. */
  framesOverLimit: number;
  /** Error replies not sent because the session had used up its allowance. */
  errorsSuppressed: number;
  turns: number;
}

export function newSessionCounters(): SessionCounters {
  return { framesReceived: 0, framesDropped: 0, framesSent: 0, badFrames: 0, framesOverLimit: 0, errorsSuppressed: 0, turns: 0 };
}
