import { DOWNLINK_AUDIO } from '../../../protocol/index.js';
import { ProviderError } from '../../providers/provider-error.js';
import type { TurnProviders } from '../../providers/turn-providers.js';

const allow = { allowed: true, categories: {}, severity: 0, provider: 'test' } as const;

/** Providers that answer at once: the recogniser hears `words` once the audio ends. */
export function instantProviders(options: { words?: string; sttFails?: boolean; voiceFails?: boolean; onVoice?: () => void } = {}): TurnProviders {
  return {
    stt: {
      name: 'test-stt',
      async transcribe(audio) {
        for await (const _ of audio) void _;
        if (options.sttFails) throw new ProviderError('stt_down', 'the recogniser is down', { retryable: false });
        return { text: options.words ?? 'hello', confidence: 1, rejected: false };
      },
    },
    llm: {
      name: 'test-llm',
      async *stream() {
        yield 'Hi there, little friend! ';
        yield 'Shall we sing?';
      },
    },
    tts: {
      name: 'test-tts',
      sampleRate: DOWNLINK_AUDIO.sampleRate,
      async *synthesize() {
        options.onVoice?.();
        if (options.voiceFails) throw new ProviderError('tts_down', 'the voice is down', { retryable: false });
        yield Int16Array.from({ length: DOWNLINK_AUDIO.sampleRate / 5 }, (_, i) => Math.round(5000 * Math.sin(i / 5)));
      },
    },
    safety: { name: 'test-safety', check: async () => allow },
  };
}

