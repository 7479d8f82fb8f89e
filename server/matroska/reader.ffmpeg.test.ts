/**
 * MatroskaReader and clusterPrefix over real streams made by ffmpeg (support/media.ts), checked
 * with ffmpeg itself: what a viewer receives must decode without a single error.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { readMedia, runFfmpeg, runFfprobe, type MediaKind } from '../../support/media.js';
import { clusterPrefix } from './cluster.js';
import {
  ID,
  children,
  encodeVint,
  readElementHeader,
  readVint,
  unknownSizeVint,
  vintLength,
} from './ebml.js';
import {
  chunkings,
  element,
  elementWithSizeField,
  eventValues,
  idBytes,
  readAll,
  timestamp,
} from '../../support/ebml-builders.js';
import type { Cluster, InitHeader, ReaderEvent } from './types.js';

interface Expected {
  kind: MediaKind;
  docType: InitHeader['docType'];
  codecs: string[];
}

const STREAMS: Expected[] = [
  { kind: 'h264-aac', docType: 'matroska', codecs: ['h264', 'aac'] },
  { kind: 'vp9-opus', docType: 'webm', codecs: ['vp9', 'opus'] },
  { kind: 'vp8-vorbis', docType: 'webm', codecs: ['vp8', 'vorbis'] },
  { kind: 'hevc-aac', docType: 'matroska', codecs: ['hevc', 'aac'] },
  { kind: 'av1-opus', docType: 'matroska', codecs: ['av1', 'opus'] },
  { kind: 'opus-only', docType: 'webm', codecs: ['opus'] },
  { kind: 'aac-only', docType: 'matroska', codecs: ['aac'] },
];

const SECONDS = 3;
const GOP_MS = 1000;

function split(events: ReaderEvent[]): { header: InitHeader; clusters: Cluster[] } {
  assert.equal(events[0]?.kind, 'header');
  assert.ok(events.slice(1).every((event) => event.kind === 'cluster'));
  return {
    header: (events[0] as { header: InitHeader }).header,
    clusters: events.slice(1).map((event) => (event as { cluster: Cluster }).cluster),
  };
}

/**
 * What a viewer joining at the `nth` keyframe gets: the header, then the clusters from that keyframe on,
 * retimed through clusterPrefix so that its timeline starts at 0.
 */
function joinAtKeyframe(header: InitHeader, clusters: Cluster[], nth: number): Buffer {
  const start = clusters.map((c, i) => (c.keyframe ? i : -1)).filter((i) => i >= 0)[nth];
  assert.ok(start !== undefined, `a keyframe cluster number ${nth}`);
  const base = clusters[start].timestamp;
  const parts = [header.bytes];
  for (const c of clusters.slice(start)) {
    parts.push(clusterPrefix(c, c.timestamp - base), c.bytes.subarray(c.timestampEnd));
  }
  return Buffer.concat(parts);
}

/** Decodes every frame with ffmpeg; returns what it printed at level error (nothing when all is well). */
async function decodeErrors(bytes: Buffer): Promise<string> {
  const { stderr } = await runFfmpeg(['-v', 'error', '-i', 'pipe:0', '-map', '0', '-f', 'null', '-'], {
    input: bytes,
  });
  return stderr.trim();
}

async function startTimeSec(bytes: Buffer): Promise<number> {
  const { stdout } = await runFfprobe(
    ['-v', 'error', '-show_entries', 'format=start_time', '-of', 'json', 'pipe:0'],
    {
      input: bytes,
    },
  );
  return Number((JSON.parse(stdout.toString()) as { format: { start_time: string } }).format.start_time);
}

interface Block {
  track: number;
  /** Absolute time: cluster timestamp + relative timestamp. */
  time: number;
  keyframe: boolean | null;
  payload: string;
}

/** The blocks of a cluster (SimpleBlocks and the Blocks of BlockGroups) with absolute times. */
function blocksOf(c: Cluster): Block[] {
  const blocks: Block[] = [];
  const read = (data: Buffer, keyframe: boolean | null): void => {
    const trackLength = vintLength(data[0]);
    blocks.push({
      track: readVint(data, 0, trackLength),
      time: c.timestamp + data.readInt16BE(trackLength),
      keyframe,
      payload: data.subarray(trackLength + 3).toString('base64'),
    });
  };
  for (const child of children(c.bytes, c.payloadStart, c.bytes.length, ID.Cluster, 0)) {
    const data = c.bytes.subarray(child.dataStart, child.dataStart + child.size);
    if (child.id === ID.SimpleBlock) read(data, (data[vintLength(data[0]) + 2] & 0x80) !== 0);
    if (child.id !== ID.BlockGroup) continue;
    const groupChildren = [
      ...children(c.bytes, child.dataStart, child.dataStart + child.size, ID.BlockGroup, 0),
    ];
    const block = groupChildren.find((g) => g.id === ID.Block)!;
    const hasReference = groupChildren.some((g) => g.id === ID.ReferenceBlock);
    read(c.bytes.subarray(block.dataStart, block.dataStart + block.size), !hasReference);
  }
  return blocks;
}

for (const expected of STREAMS) {
  const hasVideo = expected.codecs.length > 1;
  describe(`a live ${expected.kind} stream from ffmpeg`, () => {
    let bytes: Buffer;
    let header: InitHeader;
    let clusters: Cluster[];

    before(async () => {
      bytes = await readMedia(expected.kind, { seconds: SECONDS });
      ({ header, clusters } = split(readAll(bytes)));
    });

    test('gives the same header and clusters whatever the chunking (whole, 1 byte, 7 bytes, random)', () => {
      const whole = eventValues(readAll(bytes));
      for (const chunking of chunkings(bytes.length).slice(1)) {
        assert.deepEqual(eventValues(readAll(bytes, chunking.nextSize)), whole, chunking.name);
      }
    });

    test('its clusters, concatenated, are the stream bytes from the first Cluster on', () => {
      const firstCluster = bytes.indexOf(clusters[0].bytes);
      assert.ok(firstCluster > 0);
      assert.deepEqual(Buffer.concat(clusters.map((c) => c.bytes)), bytes.subarray(firstCluster));
      assert.ok(clusters.length > SECONDS * 10, 'one cluster per frame or so');
    });

    test(`has the ${expected.docType} doctype and tracks ${expected.codecs.join(' + ')}`, () => {
      assert.equal(header.docType, expected.docType);
      assert.equal(header.timestampScaleNs, 1_000_000);
      assert.deepEqual(
        header.tracks.map((t) => [t.kind, t.codec]),
        expected.codecs.map((codec, i) => [i === 0 && hasVideo ? 'video' : 'audio', codec]),
      );
      const video = header.tracks.find((t) => t.kind === 'video');
      if (video) assert.deepEqual([video.width, video.height], [320, 240]);
      const audio = header.tracks.find((t) => t.kind === 'audio')!;
      assert.deepEqual([audio.sampleRate, audio.channels], [48000, 1]);
    });

    if (hasVideo) {
      test('has a keyframe cluster every GOP, each starting at a video keyframe', () => {
        const keyframes = clusters.filter((c) => c.keyframe);
        assert.equal(keyframes.length, SECONDS * (1000 / GOP_MS));
        for (let i = 1; i < keyframes.length; i++) {
          const gap = keyframes[i].timestamp - keyframes[i - 1].timestamp;
          assert.ok(Math.abs(gap - GOP_MS) < 150, `keyframe clusters ${gap} ms apart`);
        }
        const videoTrack = header.tracks.find((t) => t.kind === 'video')!.number;
        for (const c of keyframes) {
          assert.equal(blocksOf(c).find((b) => b.track === videoTrack)?.keyframe, true);
        }
      });
    } else {
      test('makes every cluster a keyframe (audio only)', () => {
        assert.ok(clusters.every((c) => c.keyframe));
      });
    }

    test('decodes with no error when joined at a mid-stream keyframe and retimed to start at 0', async () => {
      const joined = joinAtKeyframe(header, clusters, 1);
      assert.equal(await decodeErrors(joined), '');
      assert.ok(Math.abs(await startTimeSec(joined)) < 0.1, 'starts at 0');
    });
  });
}

describe('a seekable h264-aac file from ffmpeg (known sizes, SeekHead, Cues, Duration, CRC-32)', () => {
  let bytes: Buffer;
  let header: InitHeader;
  let clusters: Cluster[];

  before(async () => {
    bytes = await readMedia('h264-aac', { seconds: SECONDS, live: false });
    ({ header, clusters } = split(readAll(bytes)));
  });

  test('gives the same events whatever the chunking, with Cues skipped', () => {
    const whole = eventValues(readAll(bytes));
    for (const chunking of chunkings(bytes.length).slice(1)) {
      assert.deepEqual(eventValues(readAll(bytes, chunking.nextSize)), whole, chunking.name);
    }
    const cues = bytes.lastIndexOf(idBytes(ID.Cues));
    const last = clusters[clusters.length - 1];
    assert.equal(bytes.indexOf(last.bytes) + last.bytes.length, cues, 'the clusters run up to the Cues');
  });

  test('keeps the known cluster sizes and gives a header without Duration', () => {
    assert.ok(clusters.every((c) => !c.unknownSize));
    assert.equal(clusters.filter((c) => c.keyframe).length, SECONDS);
    const segmentData = ebmlHeadLength(header.bytes) + 12;
    const infoElement = [...children(header.bytes, segmentData, header.bytes.length, ID.Segment, 0)].find(
      (child) => child.id === ID.Info,
    )!;
    const infoChildren = [
      ...children(header.bytes, infoElement.dataStart, infoElement.dataStart + infoElement.size, ID.Info, 0),
    ];
    assert.ok(!infoChildren.some((child) => child.id === ID.Duration), 'no Duration');
    assert.ok(!infoChildren.some((child) => child.id === ID.CRC32), 'no stale CRC-32');
    assert.ok(
      !bytes.subarray(0, segmentData).equals(header.bytes.subarray(0, segmentData)),
      'Segment size made unknown',
    );
  });

  test('decodes with no error when joined at a mid-stream keyframe', async () => {
    const joined = joinAtKeyframe(header, clusters, 1);
    assert.equal(await decodeErrors(joined), '');
    const { stdout } = await runFfprobe(
      ['-v', 'error', '-show_entries', 'format=duration', '-of', 'json', 'pipe:0'],
      {
        input: joined,
      },
    );
    assert.equal(
      (JSON.parse(stdout.toString()) as { format: { duration?: string } }).format.duration,
      undefined,
    );
  });
});

function ebmlHeadLength(headerBytes: Buffer): number {
  const head = readElementHeader(headerBytes, 0, headerBytes.length, 0)!;
  return head.dataStart + head.size;
}

/**
 * Re-muxes ffmpeg's clusters the way other muxers may: `perCluster` of them merged into one cluster that
 * spans keyframes, every other merged cluster with an unknown size, and every other video block as a
 * BlockGroup (with a ReferenceBlock unless it is a keyframe).
 */
function mergeClusters(header: InitHeader, clusters: Cluster[], perCluster: number): Buffer {
  const videoTrack = header.tracks.find((t) => t.kind === 'video')!.number;
  const out = [header.bytes];
  for (let first = 0; first < clusters.length; first += perCluster) {
    const base = clusters[first].timestamp;
    const merged: Buffer[] = [timestamp(base)];
    let videoBlocks = 0;
    for (const c of clusters.slice(first, first + perCluster)) {
      for (const child of children(c.bytes, c.payloadStart, c.bytes.length, ID.Cluster, 0)) {
        if (child.id !== ID.SimpleBlock) continue;
        const data = Buffer.from(c.bytes.subarray(child.dataStart, child.dataStart + child.size));
        const trackLength = vintLength(data[0]);
        data.writeInt16BE(c.timestamp + data.readInt16BE(trackLength) - base, trackLength);
        const flags = data[trackLength + 2];
        if (readVint(data, 0, trackLength) === videoTrack && videoBlocks++ % 2 === 1) {
          // Block flags have no keyframe or discardable bit (RFC 9559 §10.2).
          data[trackLength + 2] = flags & 0x0e;
          const reference =
            (flags & 0x80) === 0 ? [element(ID.ReferenceBlock, Buffer.from([0xff, 0xdf]))] : [];
          merged.push(element(ID.BlockGroup, element(ID.Block, data), ...reference));
        } else {
          merged.push(element(ID.SimpleBlock, data));
        }
      }
    }
    const data = Buffer.concat(merged);
    const sizeField = (first / perCluster) % 2 === 0 ? encodeVint(data.length, 4) : unknownSizeVint(8);
    out.push(elementWithSizeField(ID.Cluster, sizeField, data));
  }
  return Buffer.concat(out);
}

describe('clusters merged across keyframes (as muxers other than ffmpeg may write them)', () => {
  let original: { header: InitHeader; clusters: Cluster[] };
  let merged: Buffer;
  let resplit: { header: InitHeader; clusters: Cluster[] };

  before(async () => {
    original = split(readAll(await readMedia('h264-aac', { seconds: SECONDS })));
    merged = mergeClusters(original.header, original.clusters, 45);
    resplit = split(readAll(merged));
  });

  test('are split so that every video keyframe starts a keyframe cluster', () => {
    const videoTrack = original.header.tracks.find((t) => t.kind === 'video')!.number;
    const keyframeTimes = original.clusters
      .flatMap(blocksOf)
      .filter((b) => b.track === videoTrack && b.keyframe)
      .map((b) => b.time);
    const mergedCount = Math.ceil(original.clusters.length / 45);
    assert.equal(
      resplit.clusters.length,
      mergedCount + keyframeTimes.length - 1,
      'one cut per mid-cluster keyframe',
    );
    const keyframeClusters = resplit.clusters.filter((c) => c.keyframe);
    assert.deepEqual(
      keyframeClusters.map((c) => blocksOf(c).find((b) => b.track === videoTrack)?.time),
      keyframeTimes,
    );
    // The clusters cut out at a keyframe start with it (the first one starts the stream, audio first).
    assert.equal(keyframeClusters[0], resplit.clusters[0]);
    for (const c of keyframeClusters.slice(1)) {
      assert.deepEqual([blocksOf(c)[0].track, c.timestamp], [videoTrack, blocksOf(c)[0].time]);
    }
  });

  test('keep every block, with the same track, absolute time and payload, in every chunking', () => {
    const expected = original.clusters
      .flatMap(blocksOf)
      .map(({ track, time, payload }) => ({ track, time, payload }));
    for (const chunking of chunkings(merged.length)) {
      const { clusters } = split(readAll(merged, chunking.nextSize));
      assert.deepEqual(
        clusters.flatMap(blocksOf).map(({ track, time, payload }) => ({ track, time, payload })),
        expected,
        chunking.name,
      );
    }
  });

  test('decode with no error, from the start and joined at a mid-stream keyframe', async () => {
    assert.equal(
      await decodeErrors(Buffer.concat([resplit.header.bytes, ...resplit.clusters.map((c) => c.bytes)])),
      '',
    );
    const joined = joinAtKeyframe(resplit.header, resplit.clusters, 1);
    assert.equal(await decodeErrors(joined), '');
    assert.ok(Math.abs(await startTimeSec(joined)) < 0.1, 'starts at 0');
  });

  test('are read back the same by a fresh reader once split (the split clusters are valid as they stand)', () => {
    const again = split(
      readAll(Buffer.concat([resplit.header.bytes, ...resplit.clusters.map((c) => c.bytes)])),
    );
    assert.deepEqual(
      again.clusters.map((c) => [c.timestamp, c.keyframe, c.bytes.toString('base64')]),
      resplit.clusters.map((c) => [c.timestamp, c.keyframe, c.bytes.toString('base64')]),
    );
  });
});
