import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterPrefix, withClusterTimestamp, withoutBlocks } from './cluster.js';
import { ID, encodeVint, unknownSizeVint } from './ebml.js';
import {
  H264_TRACK,
  OPUS_TRACK,
  cluster,
  ebmlHead,
  element,
  elementWithSizeField,
  info,
  liveSegmentStart,
  readAll,
  simpleBlock,
  timestamp,
  tracks,
  uintElement,
  unknownSizeCluster,
} from '../../support/ebml-builders.js';
import type { Cluster } from './types.js';

const STREAM_START = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), tracks(H264_TRACK, OPUS_TRACK)]);

/** The clusters the reader finds in `clusterBytes` (after a valid header). */
function read(...clusterBytes: Buffer[]): Cluster[] {
  return readAll(Buffer.concat([STREAM_START, ...clusterBytes])).flatMap((event) =>
    event.kind === 'cluster' ? [event.cluster] : [],
  );
}

const BLOCKS = [simpleBlock(1, 0, true), simpleBlock(2, 7, false), simpleBlock(1, 33, false)];

test('a new timestamp that fits keeps the Timestamp width, so the cluster keeps its length', () => {
  const [original] = read(element(ID.Cluster, timestamp(90_000, 4), ...BLOCKS));
  const rewritten = withClusterTimestamp(original, 5);
  assert.equal(rewritten.length, original.bytes.length);
  assert.deepEqual(rewritten, element(ID.Cluster, timestamp(5, 4), ...BLOCKS));
  assert.equal(clusterPrefix(original, 5).length, original.timestampEnd);
});

test('a new timestamp that does not fit gets the smallest width and a recomputed size', () => {
  const [original] = read(cluster(3, ...BLOCKS));
  const rewritten = withClusterTimestamp(original, 2 ** 40);
  assert.deepEqual(rewritten, element(ID.Cluster, timestamp(2 ** 40), ...BLOCKS));
  const [reread] = read(rewritten);
  assert.equal(reread.timestamp, 2 ** 40);
  assert.deepEqual(
    reread.bytes.subarray(reread.timestampEnd),
    original.bytes.subarray(original.timestampEnd),
  );
  assert.deepEqual(
    read(withClusterTimestamp(original, Number.MAX_SAFE_INTEGER))[0].timestamp,
    Number.MAX_SAFE_INTEGER,
  );
});

test('a CRC-32 before the Timestamp is dropped (it would not match); other children before it are kept', () => {
  const crc = element(ID.CRC32, Buffer.from([1, 2, 3, 4]));
  const position = uintElement(ID.Position, 1234);
  const [original] = read(element(ID.Cluster, crc, position, timestamp(1000, 2), ...BLOCKS));
  assert.deepEqual(
    withClusterTimestamp(original, 0),
    element(ID.Cluster, position, timestamp(0, 2), ...BLOCKS),
  );
});

test('an unknown-size cluster keeps its unknown size field', () => {
  const [original] = read(unknownSizeCluster(500, ...BLOCKS), cluster(600));
  assert.deepEqual(
    withClusterTimestamp(original, 70_000),
    elementWithSizeField(ID.Cluster, unknownSizeVint(8), timestamp(70_000), ...BLOCKS),
  );
});

test('a known size keeps its field width when it fits, and grows it when it does not', () => {
  const wide = elementWithSizeField(
    ID.Cluster,
    encodeVint(timestamp(1).length + Buffer.concat(BLOCKS).length, 4),
    timestamp(1),
    ...BLOCKS,
  );
  const [original] = read(wide);
  assert.deepEqual(
    withClusterTimestamp(original, 300),
    elementWithSizeField(
      ID.Cluster,
      encodeVint(timestamp(300).length + Buffer.concat(BLOCKS).length, 4),
      timestamp(300),
      ...BLOCKS,
    ),
  );
  // 126 bytes of data is the most a 1-byte size field holds; a 2-byte Timestamp value pushes it to 127.
  const payload = Buffer.alloc(126 - timestamp(1).length - 2 - 4);
  const full = element(
    ID.Cluster,
    timestamp(1),
    element(ID.SimpleBlock, Buffer.concat([Buffer.from([0x81, 0, 0, 0x80]), payload])),
  );
  assert.equal(full[4], 0x80 | 126);
  const [fullCluster] = read(full);
  const grown = withClusterTimestamp(fullCluster, 1000);
  assert.deepEqual(grown.subarray(4, 6), encodeVint(127, 2));
  assert.equal(read(grown)[0].timestamp, 1000);
});

test('a cluster cut at a keyframe by the reader takes a new timestamp the same way', () => {
  const [, second] = read(
    cluster(1000, simpleBlock(1, 0, false), simpleBlock(1, 40, true), simpleBlock(2, 45, false)),
  );
  assert.equal(second.timestamp, 1040);
  const [reread] = read(withClusterTimestamp(second, 0));
  assert.equal(reread.timestamp, 0);
  assert.equal(reread.keyframe, true);
  assert.deepEqual(reread.bytes.subarray(reread.timestampEnd), second.bytes.subarray(second.timestampEnd));
});

test('the prefix is a Buffer of its own: changing it leaves the shared cluster alone', () => {
  const [original] = read(cluster(7, ...BLOCKS));
  const prefix = clusterPrefix(original, 8);
  prefix.fill(0);
  assert.equal(read(original.bytes)[0].timestamp, 7);
});

test('a negative or fractional timestamp is a RangeError (a caller bug, not a stream problem)', () => {
  const [original] = read(cluster(7, ...BLOCKS));
  assert.throws(() => clusterPrefix(original, -1), RangeError);
  assert.throws(() => clusterPrefix(original, 1.5), RangeError);
});

test('an open GOP: the video blocks after the keyframe but shown before it are its leading blocks, and withoutBlocks drops just them', () => {
  const key = simpleBlock(1, 0, true, Buffer.from('I'));
  const audio = simpleBlock(2, -23, false, Buffer.from('audio'));
  const leadingB = simpleBlock(1, -67, false, Buffer.from('B1'));
  const leadingB2 = simpleBlock(1, -33, false, Buffer.from('B2'));
  const laterP = simpleBlock(1, 100, false, Buffer.from('P'));
  const [found] = read(cluster(1000, key, audio, leadingB, leadingB2, laterP));
  assert.equal(found.keyframe, true);
  assert.equal(found.videoFrames, 4, 'video blocks only');
  const ranges = found.leadingBlocks ?? [];
  assert.deepEqual(
    [0, 2].map((i) => found.bytes.subarray(ranges[i], ranges[i + 1])),
    [leadingB, leadingB2],
  );

  const entry = withoutBlocks(found, ranges);
  assert.equal(entry.leadingBlocks, undefined);
  const [reread] = read(withClusterTimestamp(entry, 1000));
  assert.equal(reread.videoFrames, 2);
  assert.equal(reread.leadingBlocks, undefined);
  assert.ok(withClusterTimestamp(entry, 1000).includes(Buffer.concat([key, audio, laterP])));
});

test('a closed GOP (B-frames after the keyframe in time) has no leading blocks', () => {
  const [found] = read(
    cluster(
      0,
      simpleBlock(1, 0, true),
      simpleBlock(1, 100, false),
      simpleBlock(1, 33, false),
      simpleBlock(1, 67, false),
    ),
  );
  assert.equal(found.leadingBlocks, undefined);
  assert.equal(found.videoFrames, 4);
});
