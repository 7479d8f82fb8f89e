/**
 * The frames of a Matroska Cluster, for the RTP payloaders: each SimpleBlock or Block (inside a
 * BlockGroup) becomes one frame per laced entry, with its track and its timestamp in nanoseconds.
 * The frames' Buffers are subarrays of the cluster's bytes: nothing is copied.
 *
 * Lacing (RFC 9559 §10.3): ffmpeg's Matroska muxer does not lace, but other muxers lace audio
 * (mkvmerge laces Opus in some modes), so Xiph, fixed-size and EBML lacing are all read.
 */
import { children, ID, readVint, vintLength } from '../matroska/ebml.js';
import { MatroskaError } from '../matroska/errors.js';
import type { Cluster } from '../matroska/types.js';

export interface BlockFrame {
  track: number;
  /** Presentation time: (cluster timestamp + block offset) × TimestampScale, nanoseconds. */
  timeNs: number;
  keyframe: boolean;
  data: Buffer;
}

/**
 * Every frame of `cluster`, in stream order. `clusterTs` replaces the cluster's own timestamp (the
 * server's continuous timeline), in TimestampScale units.
 */
export function clusterFrames(
  cluster: Cluster,
  timestampScaleNs: number,
  clusterTs: number = cluster.timestamp,
): BlockFrame[] {
  const frames: BlockFrame[] = [];
  const bytes = cluster.bytes;
  for (const child of children(bytes, cluster.payloadStart, bytes.length, ID.Cluster, 0)) {
    if (child.id === ID.SimpleBlock) {
      readBlock(
        bytes,
        child.dataStart,
        child.dataStart + child.size,
        true,
        clusterTs,
        timestampScaleNs,
        frames,
      );
    } else if (child.id === ID.BlockGroup) {
      const end = child.dataStart + child.size;
      let block: { start: number; end: number } | null = null;
      let referenced = false;
      for (const inner of children(bytes, child.dataStart, end, ID.BlockGroup, 0)) {
        if (inner.id === ID.Block) block = { start: inner.dataStart, end: inner.dataStart + inner.size };
        else if (inner.id === ID.ReferenceBlock) referenced = true;
      }
      if (block)
        readBlock(bytes, block.start, block.end, !referenced, clusterTs, timestampScaleNs, frames, true);
    }
  }
  return frames;
}

function readBlock(
  buf: Buffer,
  start: number,
  end: number,
  keyframeOrSimple: boolean,
  clusterTs: number,
  scaleNs: number,
  out: BlockFrame[],
  inGroup = false,
): void {
  const bad = (what: string): MatroskaError => new MatroskaError('BAD_BLOCK', `block ${what}`, start);
  const trackLength = start < end ? vintLength(buf[start]) : 0;
  if (trackLength === 0 || start + trackLength + 3 > end) throw bad('header is cut short');
  const track = readVint(buf, start, trackLength);
  let pos = start + trackLength;
  const offset = buf.readInt16BE(pos);
  const flags = buf[pos + 2];
  pos += 3;
  // In a SimpleBlock the keyframe flag is bit 0x80; a Block's keyframe-ness is the absence of
  // ReferenceBlock in its group.
  const keyframe = inGroup ? keyframeOrSimple : (flags & 0x80) !== 0;
  const timeNs = (clusterTs + offset) * scaleNs;
  const lacing = (flags >> 1) & 0x03;
  if (lacing === 0) {
    out.push({ track, timeNs, keyframe, data: buf.subarray(pos, end) });
    return;
  }
  if (pos >= end) throw bad('lace count is missing');
  const count = buf[pos] + 1;
  pos += 1;
  const sizes: number[] = [];
  if (lacing === 1) {
    // Xiph: each size is a run of 255s and a last byte below 255.
    for (let i = 0; i < count - 1; i++) {
      let size = 0;
      for (;;) {
        if (pos >= end) throw bad('Xiph lace sizes are cut short');
        const byte = buf[pos++];
        size += byte;
        if (byte !== 255) break;
      }
      sizes.push(size);
    }
  } else if (lacing === 3) {
    // EBML: the first size as a vint, then signed differences to the size before.
    for (let i = 0; i < count - 1; i++) {
      const length = pos < end ? vintLength(buf[pos]) : 0;
      if (length === 0 || pos + length > end) throw bad('EBML lace sizes are cut short');
      const raw = readVint(buf, pos, length);
      pos += length;
      if (i === 0) sizes.push(raw);
      else sizes.push(sizes[i - 1] + raw - (2 ** (7 * length - 1) - 1));
    }
  }
  const rest = end - pos;
  if (lacing === 2) {
    if (rest % count !== 0) throw bad(`of ${rest} bytes cannot hold ${count} equal laced frames`);
    for (let i = 0; i < count - 1; i++) sizes.push(rest / count);
  }
  const known = sizes.reduce((sum, size) => sum + size, 0);
  if (sizes.some((size) => size < 0) || known > rest) throw bad('lace sizes overrun the block');
  sizes.push(rest - known);
  for (const size of sizes) {
    out.push({ track, timeNs, keyframe, data: buf.subarray(pos, pos + size) });
    pos += size;
  }
}
