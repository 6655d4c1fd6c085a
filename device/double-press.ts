/** What a press of the button means, given the press before it. */
export type PressMeaning = 'buttonDown' | 'handsFreeOn' | 'handsFreeOff';

/** Two presses closer than this are a double press. */
export const DEFAULT_DOUBLE_PRESS_MS = 400;

/**
 * Tells the double press that toggles hands-free from push-to-talk presses.
 *
 * The gesture:
 * - Every press counts at once. Push-to-talk never waits to see whether a second press follows,
 *   so the first press of a double press has already done what a single press does (started a
 *   push turn, cutting in on whatever was running).
 * - A press less than `windowMs` after the press before it is the second press of a double press.
 *   Measured press to press, so the first press was necessarily short (released within the window).
 * - Only while the push turn the first press started is still going: once it is over (answered
 *   already, or cut by a lock or an error), or if the first press started nothing, the second
 *   press is a press of its own. A script that presses again as soon as a sped-up answer has
 *   played is then never taken for a double press.
 * - The second press switches hands-free off if the toy was hands-free when the first press came,
 *   and on otherwise. The state machine then drops or converts the short push turn the first press
 *   started.
 * - A double press is complete at its second press: a third press counts anew, as a single press.
 * - `windowMs` 0 turns the gesture off: every press is a single press.
 */
export class DoublePress {
  private first: { readonly at: number; readonly handsFree: boolean } | undefined;

  constructor(private readonly windowMs: number = DEFAULT_DOUBLE_PRESS_MS) {
    if (!(windowMs >= 0)) throw new RangeError(`windowMs must be 0 or more, got ${windowMs}`);
  }

  /**
   * A press at `at` (milliseconds, monotonic). `handsFree`: the toy was hands-free just before it.
   * `firstTurnGoing`: the push turn the previous press started is still going.
   */
  press(at: number, handsFree: boolean, firstTurnGoing: boolean): PressMeaning {
    const first = this.first;
    if (first !== undefined && firstTurnGoing && at - first.at < this.windowMs) {
      this.first = undefined;
      return first.handsFree ? 'handsFreeOff' : 'handsFreeOn';
    }
    this.first = { at, handsFree };
    return 'buttonDown';
  }
}
