/**
 * Builders of hand-made EBML for tests: `element(ID.Cluster, timestamp(0), simpleBlock(…))` reads like the
 * tree it makes. Not used by the server; here so that tests elsewhere can build streams the same way.
 */
import { ID, encodeUint, encodeVint, unknownSizeVint } from '../server/matroska/ebml.js';
import { MatroskaReader } from '../server/matroska/reader.js';
import type { ReaderEvent } from '../server/matroska/types.js';

/** The bytes of an element ID (IDs are written as they are quoted, marker bits included). */
export function idBytes(id: number): Buffer {
  const length = id >= 0x1000000 ? 4 : id >= 0x10000 ? 3 : id >= 0x100 ? 2 : 1;
  return encodeUint(id, length);
}

/** An element with a known size, in the smallest size field. */
export function element(id: number, ...children: Buffer[]): Buffer {
  const data = Buffer.concat(children);
  return Buffer.concat([idBytes(id), encodeVint(data.length), data]);
}

/** An element whose size field is exactly `sizeField` (for unknown, wide, or lying sizes). */
export function elementWithSizeField(id: number, sizeField: Buffer, ...children: Buffer[]): Buffer {
  return Buffer.concat([idBytes(id), sizeField, ...children]);
}

/** An element with an 8-byte unknown size: it ends where an element that cannot be its child starts. */
export function unknownSizeElement(id: number, ...children: Buffer[]): Buffer {
  return elementWithSizeField(id, unknownSizeVint(8), ...children);
}

export function uintElement(id: number, value: number, width?: number): Buffer {
  return element(id, encodeUint(value, width));
}

export function stringElement(id: number, value: string): Buffer {
  return element(id, Buffer.from(value, 'latin1'));
}

export function floatElement(id: number, value: number, width: 4 | 8 = 8): Buffer {
  const data = Buffer.alloc(width);
  if (width === 4) data.writeFloatBE(value);
  else data.writeDoubleBE(value);
  return element(id, data);
}

export function ebmlHead(docType: string = 'matroska'): Buffer {
  return element(
    ID.EBML,
    uintElement(0x4286, 1), // EBMLVersion
    uintElement(0x42f7, 1), // EBMLReadVersion
    uintElement(0x42f2, 4), // EBMLMaxIDLength
    uintElement(0x42f3, 8), // EBMLMaxSizeLength
    stringElement(ID.DocType, docType),
    uintElement(0x4287, 4), // DocTypeVersion
    uintElement(0x4285, 2), // DocTypeReadVersion
  );
}

export function info(
  options: { timestampScaleNs?: number; durationMs?: number; crc?: boolean } = {},
): Buffer {
  const children = [
    uintElement(ID.TimestampScale, options.timestampScaleNs ?? 1_000_000),
    stringElement(0x4d80, 'mkvcast tests'), // MuxingApp
  ];
  if (options.durationMs !== undefined) children.push(floatElement(ID.Duration, options.durationMs));
  children.push(stringElement(0x5741, 'mkvcast tests')); // WritingApp
  if (options.crc) children.unshift(element(ID.CRC32, Buffer.from([1, 2, 3, 4])));
  return element(ID.Info, ...children);
}

export interface TrackSpec {
  number: number;
  type: number;
  codecId: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
}

export function trackEntry(track: TrackSpec): Buffer {
  const children = [
    uintElement(ID.TrackNumber, track.number),
    uintElement(0x73c5, track.number * 1000 + 7), // TrackUID
    uintElement(ID.TrackType, track.type),
    stringElement(ID.CodecID, track.codecId),
  ];
  if (track.width !== undefined && track.height !== undefined) {
    children.push(
      element(ID.Video, uintElement(ID.PixelWidth, track.width), uintElement(ID.PixelHeight, track.height)),
    );
  }
  if (track.sampleRate !== undefined || track.channels !== undefined) {
    const audio: Buffer[] = [];
    if (track.sampleRate !== undefined) audio.push(floatElement(ID.SamplingFrequency, track.sampleRate, 4));
    if (track.channels !== undefined) audio.push(uintElement(ID.Channels, track.channels));
    children.push(element(ID.Audio, ...audio));
  }
  return element(ID.TrackEntry, ...children);
}

export const H264_TRACK: TrackSpec = {
  number: 1,
  type: 1,
  codecId: 'V_MPEG4/ISO/AVC',
  width: 640,
  height: 360,
};
export const OPUS_TRACK: TrackSpec = {
  number: 2,
  type: 2,
  codecId: 'A_OPUS',
  sampleRate: 48000,
  channels: 2,
};

export function tracks(...entries: TrackSpec[]): Buffer {
  return element(ID.Tracks, ...entries.map(trackEntry));
}

/** Block header (track vint, int16 relative timestamp, flags) followed by `payload`. */
export function blockData(track: number, relativeTs: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(3);
  head.writeInt16BE(relativeTs, 0);
  head[2] = flags;
  return Buffer.concat([encodeVint(track), head, payload]);
}

export function simpleBlock(
  track: number,
  relativeTs: number,
  keyframe: boolean,
  payload = Buffer.from('frame'),
): Buffer {
  return element(ID.SimpleBlock, blockData(track, relativeTs, keyframe ? 0x80 : 0, payload));
}

/** A BlockGroup: a keyframe has no ReferenceBlock; otherwise one pointing `reference` back. */
export function blockGroup(
  track: number,
  relativeTs: number,
  reference: number | null,
  payload = Buffer.from('frame'),
): Buffer {
  const children = [element(ID.Block, blockData(track, relativeTs, 0, payload))];
  if (reference !== null) {
    const ref = Buffer.alloc(2);
    ref.writeInt16BE(reference);
    children.push(element(ID.ReferenceBlock, ref));
  }
  return element(ID.BlockGroup, ...children);
}

export function timestamp(value: number, width?: number): Buffer {
  return uintElement(ID.Timestamp, value, width);
}

export function cluster(ts: number, ...children: Buffer[]): Buffer {
  return element(ID.Cluster, timestamp(ts), ...children);
}

export function unknownSizeCluster(ts: number, ...children: Buffer[]): Buffer {
  return unknownSizeElement(ID.Cluster, timestamp(ts), ...children);
}

/** The start of a live Segment: its ID and an unknown size; the children follow in the stream. */
export function liveSegmentStart(): Buffer {
  return elementWithSizeField(ID.Segment, unknownSizeVint(8));
}

/** Feeds `bytes` to a new reader in chunks of the sizes `nextSize` returns, then ends it. */
export function readAll(
  bytes: Buffer,
  nextSize: () => number = () => bytes.length,
  reader = new MatroskaReader(),
): ReaderEvent[] {
  const events: ReaderEvent[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = Math.max(1, nextSize());
    events.push(...reader.push(bytes.subarray(at, at + size)));
    at += size;
  }
  events.push(...reader.end());
  return events;
}

/** A small deterministic PRNG (mulberry32), so random chunkings are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Chunk sizes for the usual chunkings: whole, 1 byte, 7 bytes, and random sizes up to `max` (seeded). */
export function chunkings(length: number, max = 4096): Array<{ name: string; nextSize: () => number }> {
  const random = seededRandom(length);
  return [
    { name: 'whole', nextSize: () => length },
    { name: '1-byte', nextSize: () => 1 },
    { name: '7-byte', nextSize: () => 7 },
    { name: 'random', nextSize: () => 1 + Math.floor(random() * max) },
  ];
}

/** Events as comparable plain values: header bytes and fields, cluster bytes and fields, as hex. */
export function eventValues(events: ReaderEvent[]): unknown[] {
  return events.map((event) =>
    event.kind === 'header'
      ? { ...event.header, bytes: event.header.bytes.toString('hex') }
      : { ...event.cluster, bytes: event.cluster.bytes.toString('hex') },
  );
}
