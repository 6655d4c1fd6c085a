/**
 * What ElevenLabsTts uses when not told otherwise. A file of its own so that
 * the gateway's start-up line and its reading of ELEVENLABS_VOICE_ID
 * (provider-settings.ts) can name them without loading the adapter, which
 * createProviders imports only when it is chosen.
 */
export const ELEVENLABS_TTS_DEFAULTS = Object.freeze({
  baseUrl: 'https://api.elevenlabs.io',
  /** ElevenLabs' lowest-latency model. */
  modelId: 'eleven_flash_v2_5',
  /** ElevenLabs' premade "Jessica": warm and young-sounding; ELEVENLABS_VOICE_ID (or a toy's own voice id) chooses another. */
  voiceId: 'cgSgspJ2msm6clMCkdW9',
});
