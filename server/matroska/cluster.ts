/**
 * Per-viewer cluster heads: the few bytes that give a shared Cluster another Timestamp, so every viewer's
 * timeline starts at 0 while the rest of the cluster (the blocks, whose times are relative) stays shared.
 */
import {
  ID,
  idLength,
  maxVintValue,
  readElementHeader,
  uintWidth,
  UNKNOWN_SIZE,
  vintWidth,
  writeUint,
  writeVint,
} from './ebml.js';
import type { Cluster } from './types.js';

/**
 * The bytes that replace `cluster.bytes.subarray(0, cluster.timestampEnd)` so that the cluster has Timestamp
 * `newTimestamp`: Cluster ID, size field, the children before the Timestamp except CRC-32 (it would no
 * longer match), and the Timestamp in its original width when `newTimestamp` fits (else the smallest that
 * does). A known size is recomputed (same field width when it fits); an unknown size stays unknown.
 */
export function clusterPrefix(cluster: Cluster, newTimestamp: number): Buffer {
  if (!Number.isSafeInteger(newTimestamp) || newTimestamp < 0) {
    throw new RangeError(`cluster timestamp must be a non-negative integer, got ${newTimestamp}`);
  }
  const { bytes, payloadStart, timestampEnd } = cluster;
  const idEnd = idLength(bytes[0]);
  const oldSizeWidth = payloadStart - idEnd;

  // The children before the Timestamp: in live ffmpeg output that is a CRC-32 at most, so this is short.
  let keptBytes = 0;
  let timestampStart = -1;
  let timestampSizeWidth = 1;
  let timestampWidth = 0;
  for (let pos = payloadStart; pos < timestampEnd;) {
    const child = readElementHeader(bytes, pos, timestampEnd, 0);
    if (child === null || child.size === UNKNOWN_SIZE) {
      throw new RangeError('cluster.timestampEnd is not past a child');
    }
    const end = child.dataStart + child.size;
    if (end === timestampEnd && child.id === ID.Timestamp) {
      timestampStart = pos;
      timestampSizeWidth = child.sizeLength;
      timestampWidth = child.size;
    } else if (child.id !== ID.CRC32) {
      keptBytes += end - pos;
    }
    pos = end;
  }
  if (timestampStart < 0) {
    throw new RangeError('cluster.timestampEnd is not the end of its Timestamp element');
  }

  const newWidth =
    uintWidth(newTimestamp) <= timestampWidth ? timestampWidth : Math.max(1, uintWidth(newTimestamp));
  const childrenBytes = keptBytes + 1 + timestampSizeWidth + newWidth;
  let clusterSizeWidth = oldSizeWidth;
  let clusterSize = 0;
  if (!cluster.unknownSize) {
    clusterSize = childrenBytes + bytes.length - timestampEnd;
    if (clusterSize > maxVintValue(clusterSizeWidth)) clusterSizeWidth = vintWidth(clusterSize);
  }

  const prefix = Buffer.allocUnsafe(idEnd + clusterSizeWidth + childrenBytes);
  bytes.copy(prefix, 0, 0, idEnd);
  let at = idEnd;
  if (cluster.unknownSize) at += bytes.copy(prefix, at, idEnd, payloadStart);
  else at = writeVint(prefix, at, clusterSize, clusterSizeWidth);
  for (let pos = payloadStart; pos < timestampStart;) {
    const child = readElementHeader(bytes, pos, timestampStart, 0)!;
    const end = child.dataStart + child.size;
    if (child.id !== ID.CRC32) at += bytes.copy(prefix, at, pos, end);
    pos = end;
  }
  prefix[at++] = ID.Timestamp;
  at = writeVint(prefix, at, newWidth, timestampSizeWidth);
  writeUint(prefix, at, newTimestamp, newWidth);
  return prefix;
}

/** The whole cluster with Timestamp `newTimestamp` (a copy; the server sends prefix and rest separately). */
export function withClusterTimestamp(cluster: Cluster, newTimestamp: number): Buffer {
  return Buffer.concat([clusterPrefix(cluster, newTimestamp), cluster.bytes.subarray(cluster.timestampEnd)]);
}

/**
 * A copy of `cluster` without the children at `ranges` ((start, end) offset pairs in `cluster.bytes`,
 * in order, after its Timestamp): what a viewer that starts at this keyframe gets instead of an open
 * GOP's leading frames. The size field is left as it was; `clusterPrefix` writes the new one.
 */
export function withoutBlocks(cluster: Cluster, ranges: readonly number[]): Cluster {
  const kept: Buffer[] = [];
  let at = 0;
  for (let i = 0; i + 1 < ranges.length; i += 2) {
    if (ranges[i] < Math.max(at, cluster.timestampEnd) || ranges[i + 1] < ranges[i]) {
      throw new RangeError('block ranges must be in order and after the cluster Timestamp');
    }
    kept.push(cluster.bytes.subarray(at, ranges[i]));
    at = ranges[i + 1];
  }
  kept.push(cluster.bytes.subarray(at));
  const { leadingBlocks: _dropped, ...rest } = cluster;
  void _dropped;
  return { ...rest, bytes: Buffer.concat(kept) };
}
