import { DEFAULT_VOLUME, VOLUME_RANGE } from '../protocol/index.js';

const { min: SILENT, max: FULL } = VOLUME_RANGE;

/** Perceived loudness grows roughly with the square of amplitude: half the range sounds about half as loud. */
export function volumeToGain(volume: number): number {
  const v = (Math.min(FULL, Math.max(SILENT, volume)) - SILENT) / (FULL - SILENT);
  return v * v;
}

/**
 * The toy's volume as a gain applied to every sample on its way to the
 * speaker. Three limits meet here and the lowest wins: what was asked for, the
 * parent's maximum (from the gateway), and the maker's volume ceiling (device
 * config). Playback has no other way to the speaker, so nothing can play louder.
 */
export class VolumeControl {
  private requested: number;
  // No parent limit until the gateway's welcome brings one.
  private parentMax = FULL;
  /** The gain the last sample was played at: a change ramps from it, so it never clicks. */
  private lastGain: number | undefined;

  constructor(
    /** The maker's: the loudest this toy's speaker may ever play (the device config's volumeCeiling). */
    private readonly volumeCeiling: number,
    initial = DEFAULT_VOLUME,
  ) {
    if (!(volumeCeiling >= SILENT && volumeCeiling <= FULL)) throw new RangeError(`volume ceiling must be ${SILENT}..${FULL}, got ${volumeCeiling}`);
    this.requested = clamp(initial);
  }

  /** What the parent set on the dashboard, as the gateway's welcome carries it. */
  setParentLimits(volume: number, maxVolume: number): void {
    this.parentMax = clamp(maxVolume);
    this.requested = clamp(volume);
  }

  /** A volume asked for on the toy itself; the maximums still hold. */
  setVolume(volume: number): void {
    this.requested = clamp(volume);
  }

  /** The volume actually played, in VOLUME_RANGE. */
  get effective(): number {
    return Math.min(this.requested, this.parentMax, this.volumeCeiling);
  }

  /** The highest gain any sample can be played at right now: the lower of the parent's maximum and the volume ceiling. */
  get maxGain(): number {
    return volumeToGain(Math.min(this.parentMax, this.volumeCeiling));
  }

  /** Scales a chunk into a new array; a gain change ramps across the chunk. */
  apply(pcm: Int16Array): Int16Array {
    const target = volumeToGain(this.effective);
    // A lowered maximum takes effect at the first sample: the cap matters more than smoothness.
    const from = Math.min(this.lastGain ?? target, this.maxGain);
    this.lastGain = target;
    const out = new Int16Array(pcm.length);
    const step = pcm.length > 0 ? (target - from) / pcm.length : 0;
    for (let i = 0; i < pcm.length; i++) {
      const gain = from + step * (i + 1);
      // Both gains are at most maxGain, so the product never exceeds it; rounding toward zero keeps it so.
      out[i] = Math.trunc((pcm[i] as number) * gain);
    }
    return out;
  }
}

function clamp(volume: number): number {
  return Number.isFinite(volume) ? Math.min(FULL, Math.max(SILENT, volume)) : SILENT;
}
