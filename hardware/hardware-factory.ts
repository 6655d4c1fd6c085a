import { DOWNLINK_AUDIO } from '../protocol/audio-params.js';
import type { Button } from './button.js';
import { HardwareError } from './hardware-error.js';
import type { Leds } from './leds.js';
import type { Microphone } from './microphone.js';
import type { Speaker } from './speaker.js';
import type { AlsaSpeaker } from './pi/alsa-speaker.js';
import type { GpioButton } from './pi/gpio-button.js';
import type { NeopixelLeds } from './pi/neopixel-leds.js';
import type { RgbLeds } from './pi/rgb-leds.js';
import type { AlsaMicrophone } from './pi/alsa-microphone.js';
import type { KeyboardButton } from './sim/keyboard-button.js';
import type { RecordingLeds } from './sim/recording-leds.js';
import type { ScriptedButton } from './sim/scripted-button.js';
import type { SimSpeaker } from './sim/sim-speaker.js';
import type { TerminalLeds } from './sim/terminal-leds.js';
import type { SoundCardProbe } from './sound-card.js';
import type { WavMicrophone } from './sim/wav-microphone.js';

export interface HardwareConfig {
  button: 'keyboard' | 'scripted' | 'gpio';
  leds: 'terminal' | 'recording' | 'neopixel' | 'rgb';
  microphone: 'wav' | 'alsa';
  speaker: 'sim' | 'alsa';
  alsaCaptureDevice?: string;
  alsaPlaybackDevice?: string;
  speakerWavPath?: string;
  /** Pace of simulated audio: 1 is real time. */
  speed?: number;
  /** Whether the simulated speaker also plays through a sound card. Default 'off'. */
  soundCard?: 'auto' | 'off';
  /** Sample rate of the speaker. Default the downlink's rate (24000), so the toy's voice is played as decoded. */
  speakerSampleRate?: number;
  /** How GPIO lines are reached: 'libgpiod' (the character device; Raspberry Pi OS bookworm) or 'sysfs' (onoff). Default 'libgpiod'. */
  gpioBackend?: 'libgpiod' | 'sysfs';
  /** The GPIO chip, /dev/gpiochipN. Default 0 (the 40-pin header on a Pi Zero 2 W, 3 and 4). */
  gpioChip?: number;
  /** Line (BCM number) of the push-to-talk button, wired to ground. Default 17. */
  buttonLine?: number;
  /** Button debounce in ms. Default 30. */
  buttonDebounceMs?: number;
  /** Hold time of a long press in ms. Default 1500. */
  buttonLongPressMs?: number;
  /** Lines (BCM numbers) of the RGB LED's red, green and blue legs. Default [22, 23, 24]. */
  rgbLines?: readonly [number, number, number];
  /** True for a common-anode RGB LED. Default false. */
  rgbActiveLow?: boolean;
  /** Number of WS281x pixels. Default 12. */
  neopixelCount?: number;
  /** Line (BCM number) of the WS281x data pin: 10 (SPI, no root needed), 18 (PWM, needs root) or 21. Default 10. */
  neopixelLine?: number;
  /** WS281x brightness 0-255. Default 128. */
  neopixelBrightness?: number;
}

/** The driver type each choice produces, so a caller that chose 'scripted' can call press(). */
interface Drivers {
  button: { keyboard: KeyboardButton; scripted: ScriptedButton; gpio: GpioButton };
  leds: { terminal: TerminalLeds; recording: RecordingLeds; neopixel: NeopixelLeds; rgb: RgbLeds };
  microphone: { wav: WavMicrophone; alsa: AlsaMicrophone };
  speaker: { sim: SimSpeaker; alsa: AlsaSpeaker };
}

export interface Hardware<C extends HardwareConfig = HardwareConfig> {
  button: Drivers['button'][C['button']];
  leds: Drivers['leds'][C['leds']];
  microphone: Drivers['microphone'][C['microphone']];
  speaker: Drivers['speaker'][C['speaker']];
  /** Closes every driver; one failure does not stop the others from closing. */
  close(): Promise<void>;
}

const DEFAULT_SPEAKER_RATE = DOWNLINK_AUDIO.sampleRate;

/**
 * Builds the drivers a config asks for. Each driver module is imported only
 * when chosen, so a device never loads simulator code and vice versa.
 */
export async function createHardware<const C extends HardwareConfig>(config: C, options: { soundCards?: SoundCardProbe } = {}): Promise<Hardware<C>> {
  const opened: Array<{ close(): Promise<void> }> = [];
  const closeAll = async (): Promise<void> => {
    const results = await Promise.allSettled(opened.reverse().map((driver) => driver.close()));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  };
  try {
    const button = await createButton(config);
    opened.push(button);
    const leds = await createLeds(config);
    opened.push(leds);
    const microphone = await createMicrophone(config, options.soundCards);
    opened.push(microphone);
    const speaker = await createSpeaker(config, options.soundCards);
    opened.push(speaker);
    let closing: Promise<void> | undefined;
    return {
      button,
      leds,
      microphone,
      speaker,
      close: () => (closing ??= closeAll()),
    } as Hardware<C>;
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }
}

async function createButton(config: HardwareConfig): Promise<Button> {
  switch (config.button) {
    case 'scripted':
      return new (await import('./sim/scripted-button.js')).ScriptedButton();
    case 'keyboard':
      return new (await import('./sim/keyboard-button.js')).KeyboardButton();
    case 'gpio': {
      const line = integer(config, 'buttonLine', 17, 0, 1023);
      const debounceMs = integer(config, 'buttonDebounceMs', 30, 0, 1000);
      const longPressMs = integer(config, 'buttonLongPressMs', 1500, 1, 60_000);
      const input = await openGpioInput(config, line);
      const { GpioButton } = await import('./pi/gpio-button.js');
      return new GpioButton(input, { debounceMs, longPressMs });
    }
  }
}

async function openGpioInput(config: HardwareConfig, line: number): Promise<import('./pi/gpio-line.js').GpioInput> {
  const chip = integer(config, 'gpioChip', 0, 0, 63);
  if (gpioBackend(config) === 'sysfs') return (await import('./pi/sysfs-line.js')).openSysfsInput({ chip, line });
  return (await import('./pi/libgpiod-line.js')).openLibgpiodInput({ chip, line, bias: 'pull-up' });
}

async function openGpioOutput(config: HardwareConfig, line: number): Promise<import('./pi/gpio-line.js').GpioOutput> {
  const chip = integer(config, 'gpioChip', 0, 0, 63);
  if (gpioBackend(config) === 'sysfs') return (await import('./pi/sysfs-line.js')).openSysfsOutput({ chip, line });
  return (await import('./pi/libgpiod-line.js')).openLibgpiodOutput({ chip, line });
}

function gpioBackend(config: HardwareConfig): 'libgpiod' | 'sysfs' {
  const backend = config.gpioBackend ?? 'libgpiod';
  if (backend !== 'libgpiod' && backend !== 'sysfs') throw badConfig('gpioBackend', `must be 'libgpiod' or 'sysfs', got ${JSON.stringify(backend)}`);
  return backend;
}

/** A whole number from the config, or its default; a bad one is an error naming the key. */
function integer(config: HardwareConfig, key: keyof HardwareConfig, fallback: number, min: number, max: number): number {
  const value: unknown = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw badConfig(key, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function badConfig(key: string, problem: string): HardwareError {
  return new HardwareError('config_invalid', `hardware config ${key} ${problem}`);
}

/** Only the LEDs a config asks for: for showing a pattern while the device process is not running (an update). */
export function openLeds(config: Pick<HardwareConfig, 'leds' | 'gpioBackend' | 'gpioChip' | 'rgbLines' | 'rgbActiveLow' | 'neopixelCount' | 'neopixelLine' | 'neopixelBrightness'>): Promise<Leds> {
  return createLeds(config as HardwareConfig);
}

async function createLeds(config: HardwareConfig): Promise<Leds> {
  switch (config.leds) {
    case 'terminal':
      return new (await import('./sim/terminal-leds.js')).TerminalLeds();
    case 'recording':
      return new (await import('./sim/recording-leds.js')).RecordingLeds();
    case 'neopixel': {
      const count = integer(config, 'neopixelCount', 12, 1, 1024);
      const gpio = integer(config, 'neopixelLine', 10, 0, 63);
      const brightness = integer(config, 'neopixelBrightness', 128, 0, 255);
      const strip = (await import('./pi/ws281x-strip.js')).openWs281xStrip({ count, gpio, brightness });
      const { NeopixelLeds } = await import('./pi/neopixel-leds.js');
      return new NeopixelLeds({ strip, count });
    }
    case 'rgb': {
      const lines = config.rgbLines ?? [22, 23, 24];
      if (!Array.isArray(lines) || lines.length !== 3 || !lines.every((n) => Number.isInteger(n) && n >= 0 && n <= 1023)) {
        throw badConfig('rgbLines', `must be three line numbers [red, green, blue], got ${JSON.stringify(lines)}`);
      }
      const opened: Array<import('./pi/gpio-line.js').GpioOutput> = [];
      try {
        for (const line of lines) opened.push(await openGpioOutput(config, line));
      } catch (error) {
        for (const line of opened) line.close();
        throw error;
      }
      const [red, green, blue] = opened as [import('./pi/gpio-line.js').GpioOutput, import('./pi/gpio-line.js').GpioOutput, import('./pi/gpio-line.js').GpioOutput];
      const { RgbLeds } = await import('./pi/rgb-leds.js');
      return new RgbLeds({ red, green, blue, activeLow: config.rgbActiveLow === true });
    }
  }
}

/** A real card is checked before its driver is made, so a missing one is reported at start-up, not at the first turn. */
async function requireAlsaDevice(device: string, role: string, probe: SoundCardProbe | undefined): Promise<void> {
  const { alsaDeviceProblem } = await import('./sound-card.js');
  const problem = await alsaDeviceProblem(device, probe);
  if (problem !== undefined) throw new HardwareError('driver_unavailable', `${role}: ${problem}`);
}

async function createMicrophone(config: HardwareConfig, probe: SoundCardProbe | undefined): Promise<Microphone> {
  switch (config.microphone) {
    case 'wav': {
      const { WavMicrophone } = await import('./sim/wav-microphone.js');
      return new WavMicrophone({ speed: config.speed });
    }
    case 'alsa': {
      await requireAlsaDevice(config.alsaCaptureDevice ?? 'default', 'microphone', probe);
      const { AlsaMicrophone } = await import('./pi/alsa-microphone.js');
      return new AlsaMicrophone({ device: config.alsaCaptureDevice });
    }
  }
}

async function createSpeaker(config: HardwareConfig, probe: SoundCardProbe | undefined): Promise<Speaker> {
  switch (config.speaker) {
    case 'sim': {
      const { SimSpeaker } = await import('./sim/sim-speaker.js');
      return SimSpeaker.create({
        sampleRate: config.speakerSampleRate ?? DEFAULT_SPEAKER_RATE,
        wavPath: config.speakerWavPath,
        speed: config.speed,
        soundCard: config.soundCard ?? 'off',
        playbackDevice: config.alsaPlaybackDevice,
      });
    }
    case 'alsa': {
      const sampleRate = integer(config, 'speakerSampleRate', DEFAULT_SPEAKER_RATE, 8000, 192_000);
      await requireAlsaDevice(config.alsaPlaybackDevice ?? 'default', 'speaker', probe);
      const { AlsaSpeaker } = await import('./pi/alsa-speaker.js');
      return new AlsaSpeaker({ sampleRate, device: config.alsaPlaybackDevice });
    }
  }
}
