import { TokenBucket } from './token-bucket.js';

/** What one frame may do: be read, be dropped unread, or end the session as a flood. */
export type FrameVerdict = 'read' | 'drop' | 'flood';

/**
 * How many frames of one kind a device may send: `perSecond`, with a burst of
 * twice that. Frames past it are dropped unread; a second's worth of drops
 * beyond what the allowance forgives is a flood.
 */
export class FrameAllowance {
  private readonly frames: TokenBucket;
  private readonly drops: TokenBucket;

  constructor(perSecond: number, now?: () => number) {
    this.frames = new TokenBucket(perSecond, 2 * perSecond, now);
    this.drops = new TokenBucket(perSecond, perSecond, now);
  }

  take(): FrameVerdict {
    if (this.frames.take()) return 'read';
    return this.drops.take() ? 'drop' : 'flood';
  }
}
