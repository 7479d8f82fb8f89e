/**
 * Cutting a Cluster at a keyframe found inside it (muxers other than ffmpeg put several GOPs in one
 * cluster). The head keeps the original bytes with the size shrunk in place; each later piece gets a new
 * Cluster ID, an 8-byte size field and a Timestamp, and its blocks' relative timestamps are rewritten
 * against that Timestamp. CRC-32 children are blanked in both, as they would no longer match.
 */
import type { ChunkQueue } from './chunks.js';
import { ID, uintWidth, unknownSizeVint, writeUint, writeVint, writeVoid } from './ebml.js';

const CLUSTER_ID = Buffer.from([0x1f, 0x43, 0xb6, 0x75]);

/** Where the cluster being cut lies in the stream (absolute offsets). */
export interface CutCluster {
  start: number;
  payloadStart: number;
  unknownSize: boolean;
  /** Pairs (start, end) of its CRC-32 children. */
  crcs: readonly number[];
}

/** A piece after the first cut: from `start` (a keyframe block) to the next cut or the cluster's end. */
export interface CutPiece {
  start: number;
  /** Pairs (absolute offset of a block's int16 relative timestamp, the value to write there). */
  rewrites: readonly number[];
}

/**
 * The original cluster up to `end`, copied: a known size is shrunk in its own field width (it only gets
 * smaller, so it fits); an unknown size stays valid, since the next Cluster ends it.
 */
export function cutHead(queue: ChunkQueue, cluster: CutCluster, end: number): Buffer {
  const bytes = Buffer.allocUnsafe(end - cluster.start);
  queue.copyTo(bytes, 0, cluster.start, end);
  if (!cluster.unknownSize) {
    const sizeWidth = cluster.payloadStart - cluster.start - CLUSTER_ID.length;
    writeVint(bytes, CLUSTER_ID.length, end - cluster.payloadStart, sizeWidth);
  }
  blankCrcs(bytes, cluster.crcs, cluster.start, cluster.start, end);
  return bytes;
}

/** A piece as a cluster of its own with Timestamp `timestamp`; offsets are within the returned bytes. */
export function cutPiece(
  queue: ChunkQueue,
  cluster: CutCluster,
  piece: CutPiece,
  end: number,
  timestamp: number,
): { bytes: Buffer; payloadStart: number; timestampEnd: number } {
  const timestampWidth = Math.max(1, uintWidth(timestamp));
  const payloadStart = CLUSTER_ID.length + 8;
  const timestampEnd = payloadStart + 2 + timestampWidth;
  const bytes = Buffer.allocUnsafe(timestampEnd + end - piece.start);
  CLUSTER_ID.copy(bytes, 0);
  if (cluster.unknownSize) unknownSizeVint(8).copy(bytes, CLUSTER_ID.length);
  else writeVint(bytes, CLUSTER_ID.length, bytes.length - payloadStart, 8);
  bytes[payloadStart] = ID.Timestamp;
  bytes[payloadStart + 1] = 0x80 | timestampWidth;
  writeUint(bytes, payloadStart + 2, timestamp, timestampWidth);
  queue.copyTo(bytes, timestampEnd, piece.start, end);
  const origin = piece.start - timestampEnd;
  for (let i = 0; i < piece.rewrites.length; i += 2) {
    bytes.writeInt16BE(piece.rewrites[i + 1], piece.rewrites[i] - origin);
  }
  blankCrcs(bytes, cluster.crcs, origin, piece.start, end);
  return { bytes, payloadStart, timestampEnd };
}

/** Blanks the CRC-32s between absolute `from` and `to`, in `bytes` whose index 0 is absolute `origin`. */
function blankCrcs(bytes: Buffer, crcs: readonly number[], origin: number, from: number, to: number): void {
  for (let i = 0; i < crcs.length; i += 2) {
    if (crcs[i] >= from && crcs[i + 1] <= to) writeVoid(bytes, crcs[i] - origin, crcs[i + 1] - crcs[i]);
  }
}
