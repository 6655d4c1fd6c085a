import type { LedPattern, Leds } from '../hardware/leds.js';
import type { DeviceState } from './device-state-machine.js';

/** A colour and a movement for each state, readable by a child and a parent at a glance. */
export const STATE_PATTERNS: Readonly<Record<DeviceState, LedPattern>> = Object.freeze({
  offline: { name: 'offline', color: [255, 120, 0], animation: 'blink' },
  idle: { name: 'idle', color: [40, 160, 255], animation: 'solid' },
  listening: { name: 'listening', color: [0, 220, 80], animation: 'solid' },
  thinking: { name: 'thinking', color: [170, 80, 255], animation: 'spin' },
  speaking: { name: 'speaking', color: [255, 200, 40], animation: 'pulse' },
  error: { name: 'error', color: [255, 0, 0], animation: 'blink' },
  // Asleep: a dim blue breath, so a locked toy never looks broken or switched off.
  locked: { name: 'locked', color: [30, 30, 120], animation: 'pulse' },
  // Hands-free: the microphone is open without the button, so its lights breathe where
  // push-to-talk's hold still or turn, and speaking takes a green tinge: it still hears the child.
  handsFree: { name: 'handsFree', color: [0, 220, 80], animation: 'pulse' },
  handsFreeThinking: { name: 'handsFreeThinking', color: [170, 80, 255], animation: 'pulse' },
  handsFreeSpeaking: { name: 'handsFreeSpeaking', color: [170, 230, 40], animation: 'pulse' },
});

/**
 * Shown while new software is installed, when no device process runs to show
 * a state: white, turning (a plain RGB LED blinks it), unlike any state's pattern.
 */
export const UPDATING_PATTERN: LedPattern = Object.freeze<LedPattern>({ name: 'updating', color: [255, 255, 255], animation: 'spin' });

/** The LEDs observe the state; the state machine never drives them itself. */
export function presentState(leds: Leds, state: DeviceState): void {
  leds.show(STATE_PATTERNS[state]);
}
