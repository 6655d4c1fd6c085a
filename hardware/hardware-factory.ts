import type { Button } from './button.js';
import { HardwareError } from './hardware-error.js';
import type { Leds } from './leds.js';
import type { Microphone } from './microphone.js';
import type { Speaker } from './speaker.js';
import type { AlsaMicrophone } from './sim/alsa-microphone.js';
import type { KeyboardButton } from './sim/keyboard-button.js';
import type { RecordingLeds } from './sim/recording-leds.js';
import type { ScriptedButton } from './sim/scripted-button.js';
import type { SimSpeaker } from './sim/sim-speaker.js';
import type { TerminalLeds } from './sim/terminal-leds.js';
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
  /** Sample rate of the speaker. Default 24000 (the downlink rate). */
  speakerSampleRate?: number;
}

/** The driver type each choice produces, so a caller that chose 'scripted' can call press(). */
interface Drivers {
  button: { keyboard: KeyboardButton; scripted: ScriptedButton; gpio: Button };
  leds: { terminal: TerminalLeds; recording: RecordingLeds; neopixel: Leds; rgb: Leds };
  microphone: { wav: WavMicrophone; alsa: AlsaMicrophone };
  speaker: { sim: SimSpeaker; alsa: Speaker };
}

export interface Hardware<C extends HardwareConfig = HardwareConfig> {
  button: Drivers['button'][C['button']];
  leds: Drivers['leds'][C['leds']];
  microphone: Drivers['microphone'][C['microphone']];
  speaker: Drivers['speaker'][C['speaker']];
  /** Closes every driver; one failure does not stop the others from closing. */
  close(): Promise<void>;
}

const DEFAULT_SPEAKER_RATE = 24_000;

/**
 * Builds the drivers a config asks for. Each driver module is imported only
 * when chosen, so a device never loads simulator code and vice versa.
 */
export async function createHardware<const C extends HardwareConfig>(config: C): Promise<Hardware<C>> {
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
    const microphone = await createMicrophone(config);
    opened.push(microphone);
    const speaker = await createSpeaker(config);
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
    case 'gpio':
      throw unavailable('button', 'gpio', 'the GPIO button driver (hardware/pi/) is not written yet');
  }
}

async function createLeds(config: HardwareConfig): Promise<Leds> {
  switch (config.leds) {
    case 'terminal':
      return new (await import('./sim/terminal-leds.js')).TerminalLeds();
    case 'recording':
      return new (await import('./sim/recording-leds.js')).RecordingLeds();
    case 'neopixel':
    case 'rgb':
      throw unavailable('leds', config.leds, `the ${config.leds} LED driver (hardware/pi/) is not written yet`);
  }
}

async function createMicrophone(config: HardwareConfig): Promise<Microphone> {
  switch (config.microphone) {
    case 'wav': {
      const { WavMicrophone } = await import('./sim/wav-microphone.js');
      return new WavMicrophone({ speed: config.speed });
    }
    case 'alsa': {
      const { AlsaMicrophone } = await import('./sim/alsa-microphone.js');
      return new AlsaMicrophone({ device: config.alsaCaptureDevice });
    }
  }
}

async function createSpeaker(config: HardwareConfig): Promise<Speaker> {
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
    case 'alsa':
      throw unavailable('speaker', 'alsa', 'the ALSA speaker driver (hardware/pi/) is not written yet');
  }
}

function unavailable(part: string, choice: string, missing: string): HardwareError {
  return new HardwareError('driver_unavailable', `${part} '${choice}' is unavailable: ${missing}`);
}
