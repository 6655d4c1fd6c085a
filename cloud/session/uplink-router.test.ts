import t from 'tap';
import { createOpusDecoder, createOpusEncoder } from '../../audio/opus-codec.js';
import { AudioKind, ErrorCode, UPLINK_AUDIO, encodeAudioFrame, frameSamples } from '../../protocol/index.js';
import { BoundedQueue } from '../turn/bounded-queue.js';
import { newSessionCounters } from './session-counters.js';
import { UplinkRouter, type HandsFreeAudio, type PushAudio } from './uplink-router.js';

const encoder = createOpusEncoder({ sampleRate: UPLINK_AUDIO.sampleRate, frameMs: UPLINK_AUDIO.frameMs, bitrate: 24_000, application: 'voip' });
const tone = Int16Array.from({ length: frameSamples(UPLINK_AUDIO) }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / UPLINK_AUDIO.sampleRate)));
const packet = encoder.encode(tone);
const frame = (turn: number, sequence = 0, kind: AudioKind = AudioKind.Microphone, payload: Uint8Array = packet) => encodeAudioFrame({ kind, turn, sequence, payload });

function setup(routes: { push?: PushAudio; handsFree?: HandsFreeAudio } = {}, maxUtteranceFrames = 100) {
  const counters = newSessionCounters();
  const reported: { code: string; message: string }[] = [];
  const router = new UplinkRouter({ handsFree: () => routes.handsFree, pushTurn: () => routes.push }, counters, { maxUtteranceFrames, reportBadFrame: (code, message) => void reported.push({ code, message }) });
  return { router, counters, reported };
}

const pushTurn = (turn: number, capacity = 100): PushAudio & { arrivals: number } => {
  const push = { turn, decoder: createOpusDecoder(UPLINK_AUDIO.sampleRate), pcm: new BoundedQueue<Int16Array>(capacity), accepted: 0, arrivals: 0, audioArrived: () => void push.arrivals++ };
  return push;
};

function hearing(turn: number) {
  const heard: { turn: number; samples: number }[] = [];
  const audio: HandsFreeAudio = { listener: { currentTurn: turn, hear: (n: number, pcm: Int16Array) => void heard.push({ turn: n, samples: pcm.length }) }, decoder: createOpusDecoder(UPLINK_AUDIO.sampleRate) };
  return { audio, heard };
}

t.test("a push turn's frames are decoded into its queue, one frame's samples each", async (t) => {
  const push = pushTurn(3);
  const { router, counters } = setup({ push });
  for (let i = 0; i < 3; i++) router.route(frame(3, i));
  t.equal(push.pcm.length, 3);
  t.equal(push.accepted, 3);
  t.equal(push.arrivals, 3, 'the turn hears of each frame taken (its record starts at the first)');
  push.pcm.end();
  for await (const pcm of push.pcm) t.equal(pcm.length, frameSamples(UPLINK_AUDIO));
  t.same([counters.framesDropped, counters.badFrames], [0, 0]);
});

t.test('frames of another turn, of the voice kind, or with no turn hearing are dropped and counted', async (t) => {
  const push = pushTurn(3);
  const { router, counters } = setup({ push });
  router.route(frame(2));
  router.route(frame(3, 0, AudioKind.Voice));
  t.equal(push.pcm.length, 0);
  t.equal(push.arrivals, 0, 'a dropped frame is no audio of the turn');
  t.equal(counters.framesDropped, 2);
  const idle = setup();
  idle.router.route(frame(1));
  t.equal(idle.counters.framesDropped, 1, 'no turn at all');
});

t.test('past the longest utterance audio is dropped and counted; a full queue drops too', async (t) => {
  const push = pushTurn(1);
  const { router, counters } = setup({ push }, 2);
  for (let i = 0; i < 5; i++) router.route(frame(1, i));
  t.equal(push.accepted, 2);
  t.equal(counters.framesDropped, 3);
  const small = pushTurn(1, 1);
  const full = setup({ push: small });
  full.router.route(frame(1, 0));
  full.router.route(frame(1, 1));
  t.equal(small.pcm.length, 1);
  t.equal(full.counters.framesDropped, 1, 'the queue was full');
});

t.test("hands-free audio of the listener's turn goes to the listener, before any push turn", async (t) => {
  const { audio, heard } = hearing(7);
  const push = pushTurn(7);
  const { router, counters } = setup({ handsFree: audio, push });
  router.route(frame(7, 0));
  router.route(frame(6, 1));
  t.same(heard, [{ turn: 7, samples: frameSamples(UPLINK_AUDIO) }]);
  t.equal(push.pcm.length, 0, 'the push route was not taken for the listened turn');
  t.equal(counters.framesDropped, 1, 'the other turn dropped');
});

t.test('a frame that does not parse, or whose payload is not Opus, is counted and answered', async (t) => {
  const push = pushTurn(1);
  const { router, counters, reported } = setup({ push });
  router.route(new Uint8Array([1, 2, 3]));
  router.route(frame(1, 9, AudioKind.Microphone, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])));
  t.equal(counters.badFrames, 2);
  t.equal(reported.length, 2);
  t.equal(reported[1]?.code, ErrorCode.MalformedFrame);
  t.match(reported[1]?.message, /frame 9 of turn 1 is not Opus/);
  t.equal(push.accepted, 0, 'nothing taken from a bad frame');
});
