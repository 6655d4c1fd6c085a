import t from 'tap';
import { DEFAULT_ELEVENLABS_VOICE_ID, OFFLINE_SETTINGS, describeProviderSettings, providerSettingsFromEnv } from './provider-settings.js';

t.test('no keys: every stage offline, and each line says which variable would change that', async (t) => {
  const settings = providerSettingsFromEnv({});
  t.same(settings, OFFLINE_SETTINGS);
  const lines = describeProviderSettings(settings);
  t.equal(lines.length, 4);
  for (const name of ['OPENAI_API_KEY', 'OPENROUTER_API_KEY', 'ELEVENLABS_API_KEY', 'CONTENT_SAFETY_ENDPOINT']) t.match(lines.join('\n'), name);
  t.same(providerSettingsFromEnv({ OPENAI_API_KEY: '  ', ELEVENLABS_API_KEY: '' }), OFFLINE_SETTINGS, 'empty values count as unset');
});

t.test('the names users of these services know, every base URL overridable', async (t) => {
  const settings = providerSettingsFromEnv({
    OPENAI_API_KEY: 'sk-openai-secret',
    OPENAI_BASE_URL: 'http://proxy.local/openai/v1',
    OPENROUTER_API_KEY: 'sk-or-secret',
    OPENROUTER_BASE_URL: 'http://proxy.local/openrouter/v1',
    POMMAI_LLM_MODEL: 'openai/gpt-oss-20b',
    POMMAI_LLM_FALLBACK_MODEL: 'meta-llama/llama-3.3-70b-instruct',
    ELEVENLABS_API_KEY: 'el-secret',
    ELEVENLABS_BASE_URL: 'http://proxy.local/eleven',
    CONTENT_SAFETY_ENDPOINT: 'https://toy.cognitiveservices.azure.com',
    CONTENT_SAFETY_KEY: 'azure-secret',
  });
  t.same(settings, {
    stt: { kind: 'openai', apiKey: 'sk-openai-secret', baseUrl: 'http://proxy.local/openai/v1' },
    llm: { kind: 'openai-compatible', apiKey: 'sk-or-secret', baseUrl: 'http://proxy.local/openrouter/v1', model: 'openai/gpt-oss-20b', fallbackModel: 'meta-llama/llama-3.3-70b-instruct' },
    tts: { kind: 'elevenlabs', apiKey: 'el-secret', voiceId: DEFAULT_ELEVENLABS_VOICE_ID, baseUrl: 'http://proxy.local/eleven' },
    safety: { kind: 'azure', endpoint: 'https://toy.cognitiveservices.azure.com', key: 'azure-secret' },
  });
  const described = describeProviderSettings(settings).join('\n');
  for (const secret of ['sk-openai-secret', 'sk-or-secret', 'el-secret', 'azure-secret']) t.notMatch(described, secret, 'no key in the start-up lines');
  t.match(described, /proxy\.local/);
});

t.test('a base URL without a key is a local OpenAI-compatible server; half an Azure setting is none', async (t) => {
  const settings = providerSettingsFromEnv({ OPENROUTER_BASE_URL: 'http://127.0.0.1:8080/v1', CONTENT_SAFETY_ENDPOINT: 'https://x.cognitiveservices.azure.com' });
  t.same(settings.llm, { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:8080/v1' });
  t.same(settings.safety, { kind: 'offline' });
  t.match(describeProviderSettings(settings)[1], /127\.0\.0\.1:8080/);
});
