import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ID, encodeVint, unknownSizeVint } from './ebml.js';
import { MatroskaError, type MatroskaErrorCode } from './errors.js';
import { MatroskaReader } from './reader.js';
import {
  H264_TRACK,
  OPUS_TRACK,
  blockGroup,
  chunkings,
  cluster,
  ebmlHead,
  element,
  elementWithSizeField,
  eventValues,
  info,
  liveSegmentStart,
  readAll,
  seededRandom,
  simpleBlock,
  stringElement,
  timestamp,
  tracks,
  uintElement,
  unknownSizeCluster,
} from '../../support/ebml-builders.js';
import type { Cluster, InitHeader, ReaderEvent } from './types.js';

const LIVE_SEGMENT = Buffer.from('1853806701FFFFFFFFFFFFFF', 'hex');

function headers(events: ReaderEvent[]): InitHeader[] {
  return events.flatMap((event) => (event.kind === 'header' ? [event.header] : []));
}

function clusters(events: ReaderEvent[]): Cluster[] {
  return events.flatMap((event) => (event.kind === 'cluster' ? [event.cluster] : []));
}

function matroskaError(code: MatroskaErrorCode, offset?: number, message?: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof MatroskaError, `expected a MatroskaError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (offset !== undefined) assert.equal(error.offset, offset, error.message);
    if (message) assert.match(error.message, message);
    return true;
  };
}

/** Reads `bytes` in every usual chunking and checks they all give the same events; returns them. */
function readEveryWay(bytes: Buffer): ReaderEvent[] {
  const [whole, ...others] = chunkings(bytes.length, 64);
  const expected = readAll(bytes, whole.nextSize);
  for (const chunking of others) {
    assert.deepEqual(
      eventValues(readAll(bytes, chunking.nextSize)),
      eventValues(expected),
      `${chunking.name} chunks`,
    );
  }
  return expected;
}

const AV_TRACKS = tracks(H264_TRACK, OPUS_TRACK);

test('a WebM live stream (unknown-size Segment and Clusters) gives the header, then each cluster byte-exact', () => {
  const head = ebmlHead('webm');
  const infoElement = info();
  const clusterA = unknownSizeCluster(
    0,
    simpleBlock(1, 0, true),
    simpleBlock(2, 3, false),
    simpleBlock(1, 33, false),
  );
  const clusterB = unknownSizeCluster(66, simpleBlock(2, 0, false), simpleBlock(1, 1, false));
  const stream = Buffer.concat([head, liveSegmentStart(), infoElement, AV_TRACKS, clusterA, clusterB]);

  const events = readEveryWay(stream);

  assert.deepEqual(
    events.map((event) => event.kind),
    ['header', 'cluster', 'cluster'],
  );
  const [header] = headers(events);
  assert.deepEqual(header.bytes, Buffer.concat([head, LIVE_SEGMENT, infoElement, AV_TRACKS]));
  assert.equal(header.docType, 'webm');
  assert.equal(header.timestampScaleNs, 1_000_000);
  assert.deepEqual(header.tracks, [
    { number: 1, kind: 'video', codecId: 'V_MPEG4/ISO/AVC', codec: 'h264', width: 640, height: 360 },
    { number: 2, kind: 'audio', codecId: 'A_OPUS', codec: 'opus', sampleRate: 48000, channels: 2 },
  ]);
  const [a, b] = clusters(events);
  assert.deepEqual(a.bytes, clusterA);
  assert.deepEqual(b.bytes, clusterB);
  assert.deepEqual(
    {
      timestamp: a.timestamp,
      keyframe: a.keyframe,
      unknownSize: a.unknownSize,
      lastBlockOffset: a.lastBlockOffset,
    },
    { timestamp: 0, keyframe: true, unknownSize: true, lastBlockOffset: 33 },
  );
  assert.equal(a.payloadStart, 12);
  assert.equal(a.timestampEnd, 12 + timestamp(0).length);
  assert.deepEqual({ timestamp: b.timestamp, keyframe: b.keyframe }, { timestamp: 66, keyframe: false });
});

test('a Matroska file keeps Info, Tracks, Tags, Chapters and Attachments in order and drops SeekHead, Void, CRC-32 and Cues', () => {
  const seekHead = element(ID.SeekHead, element(0x4dbb, uintElement(0x53ac, 1234)));
  const voidElement = element(ID.Void, Buffer.alloc(20));
  const crc = element(ID.CRC32, Buffer.from([9, 9, 9, 9]));
  const unknownTopLevel = element(0x4abc, Buffer.from('later'));
  const chapters = element(ID.Chapters, element(0x45b9, Buffer.alloc(3)));
  const tags = element(ID.Tags, element(0x7373, Buffer.alloc(4)));
  const attachments = element(ID.Attachments, element(0x61a7, Buffer.from('font')));
  const clusterA = cluster(0, simpleBlock(1, 0, true));
  const cues = element(ID.Cues, element(0xbb, uintElement(0xb3, 0)));
  const children = [
    seekHead,
    voidElement,
    info(),
    crc,
    AV_TRACKS,
    unknownTopLevel,
    chapters,
    tags,
    attachments,
  ];
  const segmentData = Buffer.concat([...children, clusterA, cues, tags]);
  const stream = Buffer.concat([ebmlHead(), element(ID.Segment, segmentData)]);

  const events = readEveryWay(stream);

  const [header] = headers(events);
  assert.equal(header.docType, 'matroska');
  assert.deepEqual(
    header.bytes,
    Buffer.concat([ebmlHead(), LIVE_SEGMENT, info(), AV_TRACKS, chapters, tags, attachments]),
  );
  assert.deepEqual(
    clusters(events).map((c) => c.bytes),
    [clusterA],
    'Cues and Tags after the clusters are skipped',
  );
  assert.equal(clusters(events)[0].unknownSize, false);
});

test('Info Duration is replaced by a Void of the same length (and the CRC-32 of Info with it); TimestampScale is read', () => {
  const original = info({ timestampScaleNs: 100_000, durationMs: 123456, crc: true });
  const stream = Buffer.concat([
    ebmlHead(),
    liveSegmentStart(),
    original,
    AV_TRACKS,
    cluster(0, simpleBlock(1, 0, true)),
  ]);

  const [header] = headers(readEveryWay(stream));

  const expected = Buffer.from(original);
  const durationAt = original.indexOf(Buffer.from([0x44, 0x89, 0x88]));
  expected.set([ID.Void, 0x80 | 9, ...Buffer.alloc(9)], durationAt);
  const crcAt = original.indexOf(Buffer.from([0xbf, 0x84]));
  expected.set([ID.Void, 0x84, 0, 0, 0, 0], crcAt);
  const headLength = ebmlHead().length + LIVE_SEGMENT.length;
  assert.deepEqual(header.bytes.subarray(headLength, headLength + expected.length), expected);
  assert.equal(header.timestampScaleNs, 100_000);
});

test('Void and CRC-32 inside clusters stay in the cluster bytes; timestampEnd is just past the Timestamp', () => {
  const crc = element(ID.CRC32, Buffer.from([1, 2, 3, 4]));
  const voidElement = element(ID.Void, Buffer.alloc(5));
  const clusterBytes = element(
    ID.Cluster,
    crc,
    timestamp(1000, 2),
    voidElement,
    simpleBlock(1, 0, true),
    voidElement,
  );
  const stream = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), AV_TRACKS, clusterBytes]);

  const [c] = clusters(readEveryWay(stream));

  assert.deepEqual(c.bytes, clusterBytes);
  assert.equal(c.timestamp, 1000);
  assert.equal(c.payloadStart, 5);
  assert.equal(c.timestampEnd, 5 + crc.length + 4);
  assert.equal(c.keyframe, true);
});

test('a BlockGroup Block is a keyframe when the group has no ReferenceBlock', () => {
  const keyGroup = cluster(0, blockGroup(2, 0, -20), blockGroup(1, 0, null), blockGroup(1, 33, -33));
  const deltaGroup = cluster(66, blockGroup(1, 0, -33), blockGroup(1, 33, null));
  const stream = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), AV_TRACKS, keyGroup, deltaGroup]);

  const found = clusters(readEveryWay(stream));

  assert.deepEqual(
    found.map((c) => [c.timestamp, c.keyframe, c.bytes.length]),
    [
      [0, true, keyGroup.length],
      // The keyframe group inside the second cluster starts a cluster of its own.
      [66, false, found[1].bytes.length],
      [99, true, found[2].bytes.length],
    ],
  );
});

test('an audio-only stream makes every cluster a keyframe', () => {
  const stream = Buffer.concat([
    ebmlHead('webm'),
    liveSegmentStart(),
    info(),
    tracks(OPUS_TRACK),
    cluster(0, simpleBlock(2, 0, false), simpleBlock(2, 20, false)),
    cluster(40, simpleBlock(2, 0, false)),
    cluster(60),
  ]);

  const found = clusters(readEveryWay(stream));

  assert.deepEqual(
    found.map((c) => [c.timestamp, c.keyframe, c.lastBlockOffset]),
    [
      [0, true, 20],
      [40, true, 0],
      [60, true, 0],
    ],
  );
});

test('with a video track, a cluster is a keyframe only when its first video block is one', () => {
  const stream = Buffer.concat([
    ebmlHead(),
    liveSegmentStart(),
    info(),
    AV_TRACKS,
    cluster(0, simpleBlock(2, 0, true), simpleBlock(1, 5, true)),
    cluster(40, simpleBlock(2, 0, true)),
    cluster(60, simpleBlock(1, 0, false), simpleBlock(2, 1, true)),
  ]);

  assert.deepEqual(
    clusters(readEveryWay(stream)).map((c) => c.keyframe),
    [true, false, false],
  );
});

test('a keyframe in the middle of a known-size cluster splits it into two valid clusters', () => {
  const head = [simpleBlock(1, 0, true), simpleBlock(2, 10, false), simpleBlock(1, 33, false)];
  const tail = [
    simpleBlock(1, 66, true),
    simpleBlock(2, 70, false),
    simpleBlock(1, 99, false),
    simpleBlock(2, 40, false),
  ];
  const crc = element(ID.CRC32, Buffer.from([1, 2, 3, 4]));
  // A 2-byte size field, so the first part's size is rewritten in place.
  const original = elementWithSizeField(
    ID.Cluster,
    encodeVint(crc.length + timestamp(5000).length + Buffer.concat([...head, ...tail]).length, 2),
    crc,
    timestamp(5000),
    ...head,
    ...tail,
  );
  const stream = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), AV_TRACKS, original]);

  const [first, second] = clusters(readEveryWay(stream));

  const firstData = Buffer.concat([element(ID.Void, Buffer.alloc(4)), timestamp(5000), ...head]);
  assert.deepEqual(first.bytes, elementWithSizeField(ID.Cluster, encodeVint(firstData.length, 2), firstData));
  assert.deepEqual(
    { timestamp: first.timestamp, keyframe: first.keyframe, lastBlockOffset: first.lastBlockOffset },
    { timestamp: 5000, keyframe: true, lastBlockOffset: 33 },
  );
  const secondData = Buffer.concat([
    timestamp(5066),
    simpleBlock(1, 0, true),
    simpleBlock(2, 4, false),
    simpleBlock(1, 33, false),
    simpleBlock(2, -26, false),
  ]);
  assert.deepEqual(
    second.bytes,
    elementWithSizeField(ID.Cluster, encodeVint(secondData.length, 8), secondData),
  );
  assert.deepEqual(
    {
      timestamp: second.timestamp,
      keyframe: second.keyframe,
      lastBlockOffset: second.lastBlockOffset,
      payloadStart: second.payloadStart,
      timestampEnd: second.timestampEnd,
      unknownSize: second.unknownSize,
    },
    {
      timestamp: 5066,
      keyframe: true,
      lastBlockOffset: 33,
      payloadStart: 12,
      timestampEnd: 12 + 4,
      unknownSize: false,
    },
  );
});

test('an unknown-size cluster split at keyframes keeps unknown sizes, one cluster per GOP', () => {
  const original = unknownSizeCluster(
    100,
    simpleBlock(2, 0, false),
    simpleBlock(1, 1, false),
    simpleBlock(1, 34, true),
    simpleBlock(1, 67, false),
    blockGroup(1, 100, null),
    simpleBlock(2, 101, false),
  );
  const stream = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), AV_TRACKS, original, cluster(300)]);

  const found = clusters(readEveryWay(stream));

  assert.deepEqual(
    found.map((c) => [c.timestamp, c.keyframe, c.unknownSize, c.lastBlockOffset]),
    [
      [100, false, true, 1],
      [134, true, true, 33],
      [200, true, true, 1],
      [300, false, false, 0],
    ],
  );
  assert.deepEqual(
    found[0].bytes,
    unknownSizeCluster(100, simpleBlock(2, 0, false), simpleBlock(1, 1, false)),
  );
  assert.deepEqual(
    found[1].bytes,
    elementWithSizeField(
      ID.Cluster,
      unknownSizeVint(8),
      timestamp(134),
      simpleBlock(1, 0, true),
      simpleBlock(1, 33, false),
    ),
  );
  assert.deepEqual(
    found[2].bytes,
    elementWithSizeField(
      ID.Cluster,
      unknownSizeVint(8),
      timestamp(200),
      blockGroup(1, 0, null),
      simpleBlock(2, 1, false),
    ),
  );
});

test('a second EBML header after the clusters starts a new header (concatenated files)', () => {
  const first = Buffer.concat([
    ebmlHead(),
    element(
      ID.Segment,
      info(),
      AV_TRACKS,
      cluster(0, simpleBlock(1, 0, true)),
      cluster(33, simpleBlock(1, 0, false)),
    ),
  ]);
  const secondTracks = tracks(OPUS_TRACK);
  const second = Buffer.concat([
    ebmlHead('webm'),
    liveSegmentStart(),
    info(),
    secondTracks,
    unknownSizeCluster(0, simpleBlock(2, 0, false)),
  ]);
  const third = Buffer.concat([
    ebmlHead(),
    liveSegmentStart(),
    info(),
    AV_TRACKS,
    cluster(7, simpleBlock(1, 0, true)),
  ]);

  // A Void between files is skipped like one inside a Segment.
  const events = readEveryWay(Buffer.concat([first, element(ID.Void, Buffer.alloc(3)), second, third]));

  assert.deepEqual(
    events.map((event) =>
      event.kind === 'header' ? `header ${event.header.docType}` : `cluster ${event.cluster.timestamp}`,
    ),
    [
      'header matroska',
      'cluster 0',
      'cluster 33',
      'header webm',
      'cluster 0',
      'header matroska',
      'cluster 7',
    ],
  );
  assert.equal(clusters(events)[2].keyframe, true, 'the audio-only file has its own keyframe rule');
  assert.deepEqual(
    headers(events)[1].tracks.map((t) => t.codec),
    ['opus'],
  );
});

test('end() emits a final unknown-size cluster; a known-size one cut short is TRUNCATED', () => {
  const start = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), AV_TRACKS]);
  const last = unknownSizeCluster(0, simpleBlock(1, 0, true));
  const reader = new MatroskaReader();
  assert.deepEqual(
    reader.push(Buffer.concat([start, last])).map((e) => e.kind),
    ['header'],
    'an unknown-size cluster is not done until something follows it',
  );
  assert.deepEqual(clusters(reader.end())[0].bytes, last);

  const known = cluster(0, simpleBlock(1, 0, true));
  const cut = new MatroskaReader();
  cut.push(Buffer.concat([start, known.subarray(0, known.length - 1)]));
  assert.throws(
    () => cut.end(),
    matroskaError('TRUNCATED', start.length + known.length - 1, /inside the Cluster/),
  );
});

test('a cluster that lies inside one pushed chunk is a view of that chunk, not a copy', () => {
  const stream = Buffer.concat([
    ebmlHead(),
    liveSegmentStart(),
    info(),
    AV_TRACKS,
    cluster(0, simpleBlock(1, 0, true)),
    cluster(33),
  ]);
  const [first] = clusters(new MatroskaReader().push(stream));
  assert.equal(first.bytes.buffer, stream.buffer);
});

test('the stream stopping at any byte gives a prefix of the events, then TRUNCATED or a final unknown-size cluster', () => {
  const stream = Buffer.concat([
    ebmlHead(),
    liveSegmentStart(),
    info({ durationMs: 1000 }),
    AV_TRACKS,
    element(ID.Cues, Buffer.alloc(3)),
    cluster(0, simpleBlock(1, 0, true), blockGroup(1, 33, -33)),
    unknownSizeCluster(66, simpleBlock(2, 0, false), simpleBlock(1, 10, true)),
  ]);
  const full = eventValues(readAll(stream));
  const lastClusterStart =
    stream.length - unknownSizeCluster(66, simpleBlock(2, 0, false), simpleBlock(1, 10, true)).length;
  for (let length = 0; length < stream.length; length++) {
    const reader = new MatroskaReader();
    const events = reader.push(stream.subarray(0, length));
    assert.deepEqual(eventValues(events), full.slice(0, events.length), `prefix of ${length} bytes`);
    try {
      const last = reader.end();
      // Stopping between clusters of the live Segment is a clean end. Only the end shows where an
      // unknown-size cluster stops: what has arrived of it is that cluster.
      const expected = length <= lastClusterStart ? [] : [true];
      assert.deepEqual(
        last.map((event) => event.kind === 'cluster' && event.cluster.unknownSize),
        expected,
        `prefix of ${length} bytes`,
      );
    } catch (error) {
      assert.ok(error instanceof MatroskaError, `prefix of ${length} bytes: ${String(error)}`);
      assert.equal(error.code, 'TRUNCATED', `prefix of ${length} bytes: ${error.message}`);
    }
  }
});

test('a stream that does not start with an EBML header is NOT_MATROSKA, showing its first bytes', () => {
  const transportStream = Buffer.from('474011100042f0250001c10000ff01ff0001fc80', 'hex');
  assert.throws(
    () => new MatroskaReader().push(transportStream),
    matroskaError('NOT_MATROSKA', 0, /starts with bytes 47 40 11 10.*MPEG-TS/),
  );
  const short = new MatroskaReader();
  short.push(Buffer.from('ab', 'hex'));
  assert.throws(() => short.end(), matroskaError('NOT_MATROSKA', 0, /starts with bytes AB,/));
});

test('an EBML document that is not matroska or webm is NOT_MATROSKA', () => {
  const stream = Buffer.concat([ebmlHead('foo'), liveSegmentStart()]);
  assert.throws(
    () => new MatroskaReader().push(stream),
    matroskaError('NOT_MATROSKA', undefined, /DocType is "foo"/),
  );
  // Found by the fuzzer: the DocType is the input's, so it is escaped (no terminal escape sequence gets out).
  const hostile = Buffer.concat([ebmlHead('a"\x1b[2J\\'), liveSegmentStart()]);
  assert.throws(
    () => new MatroskaReader().push(hostile),
    matroskaError('NOT_MATROSKA', undefined, /DocType is "a\\"\\x1B\[2J\\\\", not "matroska"/),
  );
  const noDocType = element(ID.EBML, uintElement(0x4286, 1));
  assert.throws(() => new MatroskaReader().push(noDocType), matroskaError('NOT_MATROSKA', 0, /no DocType/));
});

test('a Cluster before any Tracks is NO_TRACKS', () => {
  const stream = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), cluster(0, simpleBlock(1, 0, true))]);
  const at = stream.length - cluster(0, simpleBlock(1, 0, true)).length;
  assert.throws(() => readAll(stream), matroskaError('NO_TRACKS', at));
});

test('a block before the cluster Timestamp is MISSING_TIMESTAMP', () => {
  const start = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), AV_TRACKS]);
  const noTimestamp = element(ID.Cluster, simpleBlock(1, 0, true), timestamp(0));
  assert.throws(() => readAll(Buffer.concat([start, noTimestamp])), matroskaError('MISSING_TIMESTAMP'));
  const empty = element(ID.Cluster, element(ID.Void, Buffer.alloc(2)));
  assert.throws(() => readAll(Buffer.concat([start, empty])), matroskaError('MISSING_TIMESTAMP'));
});

test('a block too short for its header, or with a 0x00 track number byte, is BAD_BLOCK', () => {
  const start = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), AV_TRACKS]);
  const short = cluster(0, element(ID.SimpleBlock, Buffer.from([0x81, 0x00])));
  assert.throws(() => readAll(Buffer.concat([start, short])), matroskaError('BAD_BLOCK', start.length + 7));
  const badTrack = cluster(0, element(ID.SimpleBlock, Buffer.from([0x00, 0x81, 0, 0, 0x80])));
  assert.throws(
    () => readAll(Buffer.concat([start, badTrack])),
    matroskaError('BAD_BLOCK', start.length + 7),
  );
  const twoBlocks = cluster(
    0,
    element(
      ID.BlockGroup,
      element(ID.Block, Buffer.from([0x81, 0, 0, 0])),
      element(ID.Block, Buffer.from([0x81, 0, 0, 0])),
    ),
  );
  assert.throws(() => readAll(Buffer.concat([start, twoBlocks])), matroskaError('BAD_BLOCK'));
});

test('a TimestampScale past 2^53, or a keyframe that would start a cut cluster past 2^53, is a MatroskaError (found by the fuzzer)', () => {
  const hugeScale = element(ID.Info, element(ID.TimestampScale, Buffer.alloc(8, 0xff)));
  const scaleStream = Buffer.concat([ebmlHead(), liveSegmentStart(), hugeScale, AV_TRACKS, cluster(0)]);
  const scaleAt = ebmlHead().length + LIVE_SEGMENT.length + 5; // Info ID and its 1-byte size
  assert.throws(
    () => readAll(scaleStream),
    matroskaError('BAD_SIZE', scaleAt, /TimestampScale .* past 2\^53/),
  );

  // The second keyframe cuts the cluster: the piece's Timestamp would be 2^53 - 10 + 33.
  const late = cluster(2 ** 53 - 10, simpleBlock(1, 0, true), simpleBlock(1, 33, true));
  const start = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), AV_TRACKS]);
  assert.throws(
    () => readAll(Buffer.concat([start, late])),
    matroskaError('BAD_BLOCK', undefined, /past 2\^53/),
  );
});

test('bufferedBytes is what the reader holds: an unfinished cluster, nothing once it is out or while skipping', () => {
  const start = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), AV_TRACKS]);
  const clusterBytes = cluster(0, simpleBlock(1, 0, true, Buffer.alloc(1000)));
  const reader = new MatroskaReader();
  reader.push(start);
  assert.equal(reader.bufferedBytes, 0);
  reader.push(clusterBytes.subarray(0, 600));
  assert.equal(reader.bufferedBytes, 600);
  reader.push(clusterBytes.subarray(600));
  assert.equal(reader.bufferedBytes, 0);
  reader.push(Buffer.concat([elementWithSizeField(ID.Void, encodeVint(5000, 4)), Buffer.alloc(3000)]));
  assert.equal(reader.bufferedBytes, 0, 'a Void is counted past, not held');
});

test('a Cluster claiming 2^56 bytes is ELEMENT_TOO_LARGE as soon as its header arrives, before any allocation', () => {
  const start = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), AV_TRACKS]);
  const huge = elementWithSizeField(ID.Cluster, Buffer.from('01FFFFFFFFFFFFFE', 'hex'));
  const reader = new MatroskaReader();
  reader.push(start);
  assert.throws(() => reader.push(huge), matroskaError('ELEMENT_TOO_LARGE', start.length, /Cluster/));
  assert.throws(
    () => reader.push(Buffer.alloc(1)),
    matroskaError('ELEMENT_TOO_LARGE'),
    'the reader stays failed',
  );
});

test('header elements past maxHeaderBytes, clusters past maxClusterBytes and an EBML head past 4 KiB are ELEMENT_TOO_LARGE', () => {
  const start = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), AV_TRACKS]);
  const hugeTracks = elementWithSizeField(ID.Tracks, Buffer.from('0100FFFFFFFFFFFF', 'hex'));
  assert.throws(
    () => new MatroskaReader().push(Buffer.concat([ebmlHead(), liveSegmentStart(), hugeTracks])),
    matroskaError('ELEMENT_TOO_LARGE', ebmlHead().length + 12, /Tracks/),
  );
  const attachments = element(ID.Attachments, Buffer.alloc(2000));
  assert.throws(
    () => new MatroskaReader({ maxHeaderBytes: 1000 }).push(Buffer.concat([start, attachments])),
    matroskaError('ELEMENT_TOO_LARGE', start.length, /maxHeaderBytes/),
  );
  const big = cluster(0, simpleBlock(1, 0, true, Buffer.alloc(2000)));
  assert.throws(
    () => new MatroskaReader({ maxClusterBytes: 1000 }).push(Buffer.concat([start, big])),
    matroskaError('ELEMENT_TOO_LARGE', start.length, /maxClusterBytes/),
  );
  const growing = unknownSizeCluster(
    0,
    ...Array.from({ length: 10 }, (_, i) => simpleBlock(1, i, i === 0, Buffer.alloc(200))),
  );
  assert.throws(
    () => new MatroskaReader({ maxClusterBytes: 1000 }).push(Buffer.concat([start, growing])),
    matroskaError('ELEMENT_TOO_LARGE', undefined, /unknown size/),
  );
  const bigHead = element(ID.EBML, stringElement(ID.DocType, 'webm'), element(ID.Void, Buffer.alloc(5000)));
  assert.throws(() => new MatroskaReader().push(bigHead), matroskaError('ELEMENT_TOO_LARGE', 0, /4096/));
});

test('SeekHead, Cues and Void are skipped by counting: a huge one is never held', () => {
  const start = Buffer.concat([
    ebmlHead(),
    liveSegmentStart(),
    info(),
    AV_TRACKS,
    cluster(0, simpleBlock(1, 0, true)),
  ]);
  const hugeCues = elementWithSizeField(ID.Cues, Buffer.from('01FFFFFFFFFFFFFE', 'hex'));
  const reader = new MatroskaReader();
  assert.equal(reader.push(Buffer.concat([start, hugeCues])).length, 2);
  const megabyte = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < 8; i++) assert.deepEqual(reader.push(megabyte), []);
  assert.throws(
    () => reader.end(),
    matroskaError('TRUNCATED', start.length + hugeCues.length + 8 * megabyte.length, /Cues/),
  );
});

test('an ID longer than 4 bytes or starting with 0x00 is BAD_ID; a 0x00 size byte is BAD_SIZE', () => {
  const start = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), AV_TRACKS]);
  assert.throws(
    () => readAll(Buffer.concat([start, Buffer.from('0811223344558100', 'hex')])),
    matroskaError('BAD_ID', start.length),
  );
  assert.throws(
    () => readAll(Buffer.concat([start, Buffer.from('0081', 'hex')])),
    matroskaError('BAD_ID', start.length),
  );
  assert.throws(
    () => readAll(Buffer.concat([start, Buffer.from('1F43B67500', 'hex')])),
    matroskaError('BAD_SIZE', start.length + 4),
  );
});

test('a child that overruns its parent is BAD_SIZE at the child', () => {
  const head = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), AV_TRACKS]);
  // A Cluster of 10 bytes whose SimpleBlock claims 20.
  const overrun = Buffer.concat([
    Buffer.from('1F43B6758A', 'hex'),
    timestamp(0, 1),
    Buffer.from('A394', 'hex'),
    Buffer.alloc(30),
  ]);
  assert.throws(
    () => readAll(Buffer.concat([head, overrun])),
    matroskaError('BAD_SIZE', head.length + 5 + 3, /SimpleBlock.*Cluster/),
  );
  // A Segment of 10 bytes whose Tracks claims more.
  const segment = Buffer.concat([ebmlHead(), Buffer.from('185380678A', 'hex'), AV_TRACKS]);
  assert.throws(() => readAll(segment), matroskaError('BAD_SIZE', ebmlHead().length + 5, /Tracks.*Segment/));
  // A TrackEntry that overruns Tracks.
  const badTracks = Buffer.from('1654AE6B83AE8AD7', 'hex');
  assert.throws(
    () => readAll(Buffer.concat([ebmlHead(), liveSegmentStart(), badTracks, Buffer.alloc(20)])),
    matroskaError('BAD_SIZE'),
  );
});

test('an unknown size anywhere but Segment and Cluster is UNKNOWN_SIZE_NOT_ALLOWED', () => {
  const head = Buffer.concat([ebmlHead(), liveSegmentStart(), info()]);
  const unknownTracks = elementWithSizeField(
    ID.Tracks,
    Buffer.from('FF', 'hex'),
    tracks(H264_TRACK).subarray(5),
  );
  assert.throws(
    () => readAll(Buffer.concat([head, unknownTracks])),
    matroskaError('UNKNOWN_SIZE_NOT_ALLOWED', head.length, /Tracks/),
  );
  const unknownBlock = elementWithSizeField(
    ID.SimpleBlock,
    Buffer.from('FF', 'hex'),
    Buffer.from('81000080', 'hex'),
  );
  const start = Buffer.concat([head, AV_TRACKS]);
  assert.throws(
    () => readAll(Buffer.concat([start, unknownSizeCluster(0, unknownBlock)])),
    matroskaError('UNKNOWN_SIZE_NOT_ALLOWED', undefined, /SimpleBlock/),
  );
  const unknownHead = elementWithSizeField(ID.EBML, Buffer.from('FF', 'hex'));
  assert.throws(() => readAll(unknownHead), matroskaError('UNKNOWN_SIZE_NOT_ALLOWED', 0));
});

test('random garbage, and valid streams with random bytes changed, only ever fail with a MatroskaError', () => {
  const valid = Buffer.concat([
    ebmlHead(),
    liveSegmentStart(),
    info({ durationMs: 5 }),
    AV_TRACKS,
    cluster(0, simpleBlock(1, 0, true), blockGroup(2, 3, -3)),
    unknownSizeCluster(40, simpleBlock(1, 0, false), simpleBlock(1, 20, true)),
    cluster(80, simpleBlock(1, 0, false)),
  ]);
  const random = seededRandom(42);
  for (let round = 0; round < 2000; round++) {
    const bytes =
      round < 200
        ? Buffer.from(Array.from({ length: 64 }, () => Math.floor(random() * 256)))
        : Buffer.from(valid);
    if (round < 200) bytes.set(Buffer.from('1A45DFA3'), 0);
    for (let flips = 1 + Math.floor(random() * 4); flips > 0 && round >= 200; flips--) {
      bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    }
    const maxChunk = 1 + Math.floor(random() * 32);
    try {
      readAll(
        bytes,
        () => 1 + Math.floor(random() * maxChunk),
        new MatroskaReader({ maxClusterBytes: 4096, maxHeaderBytes: 4096 }),
      );
    } catch (error) {
      assert.ok(error instanceof MatroskaError, `round ${round}: ${String(error)}\n${bytes.toString('hex')}`);
    }
  }
});

test('errors name the element and the absolute byte offset, and the reader stays failed after one', () => {
  const start = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), AV_TRACKS]);
  const reader = new MatroskaReader();
  reader.push(start);
  const bad = Buffer.concat([timestamp(0), Buffer.from('1F43B675', 'hex')]);
  assert.throws(
    () => reader.push(Buffer.concat([Buffer.from('1F43B675FF', 'hex'), bad, Buffer.from('0081', 'hex')])),
    (error: unknown) => {
      assert.ok(error instanceof MatroskaError);
      assert.equal(error.code, 'BAD_SIZE');
      assert.equal(error.offset, start.length + 5 + bad.length);
      assert.match(error.message, new RegExp(`Cluster \\(0x1F43B675\\).*\\(at byte ${error.offset}\\)$`));
      return true;
    },
  );
  assert.throws(() => reader.end(), matroskaError('BAD_SIZE'));
});
