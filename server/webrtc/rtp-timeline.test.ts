import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cluster, element, simpleBlock } from '../../support/ebml-builders.js';
import { ID, readElementHeader } from '../matroska/ebml.js';
import type { InitHeader, TrackInfo } from '../matroska/types.js';
import type { LiveCluster } from '../stream/timeline.js';
import { RtpTimeline, webRtcTracks } from './rtp-timeline.js';

const SPS = Buffer.from([0x67, 0x42, 0xc0, 0x1f, 0xac]);
const PPS = Buffer.from([0x68, 0xce, 0x3c]);
const AVCC = Buffer.concat([
  Buffer.from([1, 0x42, 0xc0, 0x1f, 0xff, 0xe1, 0, SPS.length]),
  SPS,
  Buffer.from([1, 0, PPS.length]),
  PPS,
]);
const VIDEO: TrackInfo = {
  number: 1,
  kind: 'video',
  codecId: 'V_MPEG4/ISO/AVC',
  codec: 'h264',
  codecPrivate: AVCC,
};
const OPUS: TrackInfo = { number: 2, kind: 'audio', codecId: 'A_OPUS', codec: 'opus', sampleRate: 48000 };
const HEADER: InitHeader = {
  bytes: Buffer.alloc(0),
  docType: 'matroska',
  timestampScaleNs: 1_000_000,
  tracks: [VIDEO, OPUS],
};

/** One frame in AVCC form: a 4-byte length, then an IDR (type 5) or a non-IDR slice (type 1). */
function h264Frame(keyframe: boolean) {
  const nal = Buffer.from([keyframe ? 0x65 : 0x41, 1, 2, 3]);
  return Buffer.concat([Buffer.from([0, 0, 0, nal.length]), nal]);
}

/** A cluster on the live timeline at `tsMs` holding `blocks`. */
function live(tsMs: number, ...blocks: Buffer[]): LiveCluster {
  const bytes = cluster(tsMs, ...blocks);
  const payloadStart = readElementHeader(bytes, 0, bytes.length, 0)!.dataStart;
  const c = {
    bytes,
    timestamp: tsMs,
    keyframe: true,
    timestampEnd: 0,
    payloadStart,
    unknownSize: false,
    lastBlockOffset: 0,
  };
  return { cluster: c, body: bytes, ts: tsMs, tsMs, gapBefore: 33, keyframe: true, arrivedMs: tsMs };
}

const newTimeline = (): RtpTimeline =>
  new RtpTimeline(webRtcTracks(HEADER), HEADER, { maxPayloadBytes: 1200 }, { video: 1000, audio: 5000 });

test('nothing is sent before the first keyframe, which starts with the parameter sets', () => {
  const timeline = newTimeline();
  assert.deepEqual(timeline.packets(live(0, simpleBlock(1, 0, false, h264Frame(false))), 0), []);
  const key = timeline.packets(live(33, simpleBlock(1, 0, true, h264Frame(true))), 33);
  assert.deepEqual(
    key.map((p) => [p.kind, p.payload[0] & 0x1f, p.marker]),
    [
      ['video', 24, false],
      ['video', 5, true],
    ],
  );
  assert.equal(key[0].timestamp, key[1].timestamp, 'one timestamp for the whole frame');
});

test('live frames keep their spacing at 90 kHz; sound goes at 48 kHz, laced packets one after another', () => {
  const timeline = newTimeline();
  const first = timeline.packets(live(1000, simpleBlock(1, 0, true, h264Frame(true))), 0);
  const second = timeline.packets(live(1033, simpleBlock(1, 0, false, h264Frame(false))), 33);
  assert.equal(second[0].timestamp - first[0].timestamp, 33 * 90);
  const opus: Buffer<ArrayBuffer> = Buffer.from([(31 << 3) | 0, 0xaa]); // CELT 20 ms: 960 samples
  // Two Opus packets laced in one block (fixed-size lacing).
  const laced = element(ID.SimpleBlock, Buffer.concat([Buffer.from([0x82, 0, 20, 0x84, 1]), opus, opus]));
  const sound = timeline.packets(live(1040, simpleBlock(2, 0, true, opus), laced), 40);
  assert.deepEqual(
    sound.map((p) => p.kind),
    ['audio', 'audio', 'audio'],
  );
  assert.equal(sound[1].timestamp - sound[0].timestamp, 960, 'the laced block, 20 ms later');
  assert.equal(sound[2].timestamp - sound[1].timestamp, 960, 'the second laced packet follows the first');
});

test('catch-up frames (a join, a PLI) go one tick apart, and live frames continue by real time', () => {
  const timeline = newTimeline();
  const gop = [0, 33, 66].map((ms, i) => live(ms, simpleBlock(1, 0, i === 0, h264Frame(i === 0))));
  const caught = gop.flatMap((c) => timeline.packets(c, 500, true)).filter((p) => p.marker);
  assert.deepEqual(
    caught.map((p) => p.timestamp - caught[0].timestamp),
    [0, 1, 2],
  );
  const next = timeline.packets(live(99, simpleBlock(1, 0, false, h264Frame(false))), 520);
  assert.equal(next[0].timestamp - caught[2].timestamp, 20 * 90, 'as far on as the 20 ms since the catch-up');
  // No sound in a catch-up: it would play late.
  const withSound = timeline.packets(live(120, simpleBlock(2, 0, true, Buffer.from([0xf8, 1]))), 540, true);
  assert.deepEqual(withSound, []);
});

test('streams WebRTC cannot carry say why: HEVC video, AAC sound, no header yet', () => {
  const hevc = { ...HEADER, tracks: [{ ...VIDEO, codec: 'hevc', codecId: 'V_MPEGH/ISO/HEVC' }] };
  assert.throws(() => webRtcTracks(hevc), { code: 'UNSUPPORTED_STREAM', message: /video is hevc/ });
  const aac = { ...HEADER, tracks: [VIDEO, { ...OPUS, codec: 'aac', codecId: 'A_AAC' }] };
  assert.throws(() => webRtcTracks(aac), { code: 'UNSUPPORTED_STREAM', message: /sound is aac/ });
  assert.throws(() => webRtcTracks(null), { code: 'NO_STREAM' });
});
