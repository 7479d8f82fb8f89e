import assert from 'node:assert/strict';
import { test } from 'node:test';
import { avccNalUnits, packetizeH264, parseAvcC, stapA } from './h264.js';

const SPS = Buffer.from([0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9]);
const PPS = Buffer.from([0x68, 0xeb, 0xe3, 0xcb]);

/** An avcC record (ISO/IEC 14496-15 §5.3.3) with one SPS and one PPS, 4-byte NAL lengths. */
export function avcC(sps = SPS, pps = PPS): Buffer {
  const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
  return Buffer.concat([
    Buffer.from([1, sps[1], sps[2], sps[3], 0xff, 0xe1]),
    u16(sps.length),
    sps,
    Buffer.from([1]),
    u16(pps.length),
    pps,
  ]);
}

function lengthPrefixed(...units: Buffer[]): Buffer {
  return Buffer.concat(units.flatMap((u) => [Buffer.from([0, 0, u.length >> 8, u.length & 0xff]), u]));
}

test('an avcC gives its SPS, PPS, NAL length size and profile-level-id', () => {
  const config = parseAvcC(avcC());
  assert.equal(config.lengthSize, 4);
  assert.deepEqual(config.sps, [SPS]);
  assert.deepEqual(config.pps, [PPS]);
  assert.equal(config.profileLevelId, '64001f');
});

test('a cut or foreign avcC is BAD_AVCC, with its size in the message', () => {
  assert.throws(() => parseAvcC(avcC().subarray(0, 10)), {
    code: 'BAD_AVCC',
    message: /10 bytes\) is cut short/,
  });
  assert.throws(() => parseAvcC(Buffer.from([0, 0, 0, 0, 0, 0, 0])), { code: 'BAD_AVCC' });
});

test('a length-prefixed frame splits into its NAL units; an overrun is BAD_NAL_LENGTH', () => {
  const idr = Buffer.from([0x65, 1, 2, 3]);
  const sei = Buffer.from([0x06, 9]);
  assert.deepEqual(avccNalUnits(lengthPrefixed(sei, idr), 4), [sei, idr]);
  const broken = lengthPrefixed(idr).subarray(0, 6);
  assert.throws(() => avccNalUnits(broken, 4), { code: 'BAD_NAL_LENGTH' });
});

test('a keyframe starts with a STAP-A of SPS and PPS; a small NAL goes whole with nothing added', () => {
  const idr = Buffer.from([0x65, 1, 2, 3]);
  const payloads = packetizeH264([idr], { sps: [SPS], pps: [PPS] }, 1200);
  assert.equal(payloads.length, 2);
  assert.deepEqual(payloads[0], stapA([SPS, PPS]));
  // STAP-A header: F=0, NRI = the highest of the units (SPS 0x67 → 3), type 24; then size + unit pairs.
  assert.equal(payloads[0][0], 0x60 | 24);
  assert.equal(payloads[0].readUInt16BE(1), SPS.length);
  assert.deepEqual(payloads[0].subarray(3, 3 + SPS.length), SPS);
  assert.deepEqual(payloads[1], idr);
  const delta = Buffer.from([0x41, 7, 7]);
  assert.deepEqual(packetizeH264([delta], { sps: [SPS], pps: [PPS] }, 1200), [delta]);
});

test('a NAL larger than the payload limit becomes FU-A fragments that rebuild it exactly', () => {
  const big = Buffer.alloc(3000, 0xab);
  big[0] = 0x65;
  const payloads = packetizeH264([big], { sps: [SPS], pps: [PPS] }, 1000).slice(1);
  assert.equal(payloads.length, 4);
  for (const p of payloads) {
    assert.ok(p.length <= 1000);
    assert.equal(p[0], (0x65 & 0xe0) | 28, 'FU indicator: NRI of the NAL, type 28');
    assert.equal(p[1] & 0x1f, 5, 'FU header keeps the NAL type');
  }
  assert.equal(payloads[0][1] & 0x80, 0x80, 'S bit on the first');
  assert.equal(payloads.at(-1)![1] & 0x40, 0x40, 'E bit on the last');
  assert.equal(payloads.slice(1, -1).filter((p) => (p[1] & 0xc0) !== 0).length, 0);
  const rebuilt = Buffer.concat([Buffer.from([0x65]), ...payloads.map((p) => p.subarray(2))]);
  assert.deepEqual(rebuilt, big);
});

test('access unit delimiters are dropped; a frame that carries its own SPS gets no STAP-A', () => {
  const aud = Buffer.from([0x09, 0xf0]);
  const idr = Buffer.from([0x65, 1]);
  assert.deepEqual(packetizeH264([aud, SPS, PPS, idr], { sps: [SPS], pps: [PPS] }, 1200), [SPS, PPS, idr]);
});
