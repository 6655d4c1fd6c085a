import type { DeviceState } from './device-state-machine.js';

/**
 * How a turn ended, from the device's side. `barged_in`: the child cut in, by the button or (in
 * hands-free) by voice; `nothing_said`: a hands-free turn the gateway ended as idle (`vad idle`).
 */
export type TurnEnd = 'played' | 'no_audio' | 'barged_in' | 'failed' | 'timeout' | 'link_lost' | 'locked' | 'nothing_said';

/**
 * What the device tells whoever watches it (the simulator's --json output, a
 * log, a test). One object per line, each with a `type`.
 */
export type DeviceReport =
  | { readonly type: 'state'; readonly state: DeviceState; readonly previous: DeviceState }
  | { readonly type: 'link'; readonly up: boolean; readonly reason?: string; readonly sessionId?: string }
  | { readonly type: 'transcript'; readonly turn: number; readonly text: string }
  | { readonly type: 'reply'; readonly turn: number; readonly index: number; readonly text: string }
  | { readonly type: 'error'; readonly turn?: number; readonly code: string; readonly message: string; readonly retryable: boolean }
  | {
      readonly type: 'turn';
      readonly turn: number;
      readonly end: TurnEnd;
      /**
       * Button release (in hands-free: the arrival of `vad end`) to the first sample handed to the
       * speaker, measured on the device.
       */
      readonly voiceToVoiceMs?: number;
      /** The gateway's per-stage timings, measured from listen stop. */
      readonly gateway: Readonly<Record<string, number>>;
      readonly framesSent: number;
      readonly framesPlayed: number;
      /**
       * Socket bytes while listening and the audio they carried, so kbps = bytes * 8 / audioMs. In
       * hands-free the microphone streams until the turn ends, so both run to its end.
       */
      readonly uplink: { readonly bytes: number; readonly audioMs: number };
      /** Socket bytes from release to the end of the turn and the audio played. */
      readonly downlink: { readonly bytes: number; readonly audioMs: number };
    };

export type DeviceObserver = (report: DeviceReport) => void;
