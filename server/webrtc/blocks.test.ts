import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockGroup, cluster, element, simpleBlock } from '../../support/ebml-builders.js';
import { clusterFrames } from './blocks.js';
import { ID, readElementHeader } from '../matroska/ebml.js';
import type { Cluster } from '../matroska/types.js';

/** `value` as a vint of exactly `width` bytes. */
function encodeVintFor(value: number, width: number): Buffer {
  const out = Buffer.alloc(width);
  out.writeUIntBE(value, 0, width);
  out[0] |= 0x80 >> (width - 1);
  return out;
}

function asCluster(bytes: Buffer, timestamp: number): Cluster {
  const payloadStart = readElementHeader(bytes, 0, bytes.length, 0)!.dataStart;
  return {
    bytes,
    timestamp,
    keyframe: true,
    timestampEnd: 0,
    payloadStart,
    unknownSize: false,
    lastBlockOffset: 0,
  };
}

test('SimpleBlocks and BlockGroups become frames with their track, keyframe flag and time in ns', () => {
  const bytes = cluster(
    1000,
    simpleBlock(1, 0, true, Buffer.from('key')),
    simpleBlock(2, 5, false, Buffer.from('opus')),
    blockGroup(1, 33, -33, Buffer.from('delta')),
    blockGroup(1, 66, null, Buffer.from('key2')),
  );
  const frames = clusterFrames(asCluster(bytes, 1000), 1_000_000, 5000);
  assert.deepEqual(
    frames.map((f) => [f.track, f.timeNs, f.keyframe, f.data.toString()]),
    [
      [1, 5000e6, true, 'key'],
      [2, 5005e6, false, 'opus'],
      [1, 5033e6, false, 'delta'],
      [1, 5066e6, true, 'key2'],
    ],
  );
  assert.equal(frames[0].data.buffer, bytes.buffer, 'frames are views of the cluster, not copies');
});

test('laced blocks (Xiph, fixed-size, EBML) give one frame per lace', () => {
  const a = Buffer.alloc(300, 1);
  const b = Buffer.alloc(20, 2);
  const c = Buffer.alloc(7, 3);
  const head = (flags: number): Buffer => Buffer.from([0x82, 0, 0, flags]);
  const xiph = Buffer.concat([head(0x02), Buffer.from([2, 255, 45, 20]), a, b, c]);
  const fixed = Buffer.concat([head(0x04), Buffer.from([2]), c, c, c]);
  // EBML lacing: first size 300 as a 2-byte vint, then 20 - 300 = -280 as a signed 2-byte vint.
  const ebml = Buffer.concat([
    head(0x06),
    Buffer.from([2]),
    encodeVintFor(300, 2),
    encodeVintFor(-280 + 8191, 2),
    a,
    b,
    c,
  ]);
  for (const [name, body, sizes] of [
    ['xiph', xiph, [300, 20, 7]],
    ['fixed', fixed, [7, 7, 7]],
    ['ebml', ebml, [300, 20, 7]],
  ] as const) {
    const bytes = cluster(0, element(ID.SimpleBlock, body));
    const frames = clusterFrames(asCluster(bytes, 0), 1_000_000);
    assert.deepEqual(
      frames.map((f) => f.data.length),
      sizes,
      name,
    );
    assert.ok(frames.every((f) => f.track === 2));
  }
});

test('a block cut short or with lace sizes past its end is BAD_BLOCK', () => {
  const short = cluster(0, element(ID.SimpleBlock, Buffer.from([0x81, 0])));
  assert.throws(() => clusterFrames(asCluster(short, 0), 1_000_000), { code: 'BAD_BLOCK' });
  const overrun = cluster(0, element(ID.SimpleBlock, Buffer.from([0x81, 0, 0, 0x02, 1, 200, 1, 2])));
  assert.throws(() => clusterFrames(asCluster(overrun, 0), 1_000_000), { code: 'BAD_BLOCK' });
});
