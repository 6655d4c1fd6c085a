import { readFileSync } from 'node:fs';
import t from 'tap';
import { OFFLINE_SETTINGS, describeProviderSettings, providerSettingsFromEnv } from './provider-settings.js';
import { OPENAI_COMPATIBLE_LLM_DEFAULTS } from './llm/openai-compatible-llm-defaults.js';
import { OPENAI_STT_DEFAULTS } from './stt/openai-stt-defaults.js';
import { ELEVENLABS_TTS_DEFAULTS } from './tts/elevenlabs-tts-defaults.js';

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
    tts: { kind: 'elevenlabs', apiKey: 'el-secret', voiceId: ELEVENLABS_TTS_DEFAULTS.voiceId, baseUrl: 'http://proxy.local/eleven' },
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

t.test('unset models and URLs are named from the adapters\' own defaults', async (t) => {
  const lines = describeProviderSettings(providerSettingsFromEnv({ OPENAI_API_KEY: 'k', OPENROUTER_API_KEY: 'k', ELEVENLABS_API_KEY: 'k' }));
  const host = (url: string) => new URL(url).host;
  t.match(lines[0], `OpenAI ${OPENAI_STT_DEFAULTS.model} at ${host(OPENAI_STT_DEFAULTS.baseUrl)}`);
  t.match(lines[1], `${OPENAI_COMPATIBLE_LLM_DEFAULTS.model} at ${host(OPENAI_COMPATIBLE_LLM_DEFAULTS.baseUrl)}`);
  t.match(lines[2], `ElevenLabs ${ELEVENLABS_TTS_DEFAULTS.modelId} at ${host(ELEVENLABS_TTS_DEFAULTS.baseUrl)}`);
});

t.test('reading the settings loads no adapter: only the adapters\' defaults files, which import nothing', async (t) => {
  const imports = (file: string) => [...readFileSync(new URL(file, import.meta.url), 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]!);
  const settingsImports = imports('./provider-settings.ts');
  t.ok(settingsImports.length > 0);
  for (const path of settingsImports) {
    t.match(path, /-defaults\.js$/, path);
    t.same(imports(path.replace(/\.js$/, '.ts')), [], `${path} imports nothing`);
  }
});
