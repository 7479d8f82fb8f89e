/**
 * Hand-built Matroska pieces for the stream tests: clusters with one SimpleBlock, and a parser that
 * reads back what a viewer received. Only tests import this.
 */
import type { Cluster, InitHeader } from '../server/matroska/types.js';
import type { LiveCluster } from '../server/stream/timeline.js';

function size8(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(0x01, 0);
  b.writeUIntBE(n, 2, 6);
  return b;
}

/** A Cluster with Timestamp `ts` (4-byte value) and one SimpleBlock of `payloadBytes` bytes on track 1. */
export function makeCluster(ts: number, keyframe: boolean, payloadBytes = 100): Cluster {
  const timestamp = Buffer.from([0xe7, 0x84, 0, 0, 0, 0]);
  timestamp.writeUInt32BE(ts, 2);
  const blockBody = Buffer.concat([
    Buffer.from([0x81, 0x00, 0x00, keyframe ? 0x80 : 0x00]),
    Buffer.alloc(payloadBytes, 0x55),
  ]);
  const block = Buffer.concat([Buffer.from([0xa3]), size8(blockBody.length), blockBody]);
  const payload = Buffer.concat([timestamp, block]);
  const bytes = Buffer.concat([Buffer.from([0x1f, 0x43, 0xb6, 0x75]), size8(payload.length), payload]);
  return {
    bytes,
    timestamp: ts,
    keyframe,
    timestampEnd: 12 + timestamp.length,
    payloadStart: 12,
    unknownSize: false,
    lastBlockOffset: 0,
  };
}

export function makeHeader(): InitHeader {
  return {
    bytes: Buffer.from('fake init header'),
    docType: 'matroska',
    timestampScaleNs: 1_000_000,
    tracks: [
      { number: 1, kind: 'video', codecId: 'V_MPEG4/ISO/AVC', codec: 'h264', width: 320, height: 240 },
    ],
  };
}

/** Clusters every `gapMs` ms with a keyframe every `gop` clusters, placed as the Timeline would. */
export function liveClusters(
  count: number,
  options: { gop?: number; gapMs?: number; startMs?: number; payloadBytes?: number } = {},
): LiveCluster[] {
  const { gop = 10, gapMs = 40, startMs = 62_000, payloadBytes = 100 } = options;
  const out: LiveCluster[] = [];
  for (let i = 0; i < count; i++) {
    const ts = startMs + i * gapMs;
    const cluster = makeCluster(ts, i % gop === 0, payloadBytes);
    out.push({
      cluster,
      body: cluster.bytes.subarray(cluster.timestampEnd),
      ts,
      tsMs: ts,
      gapBefore: gapMs,
      keyframe: cluster.keyframe,
      arrivedMs: 0,
    });
  }
  return out;
}

/** Reads back the clusters in what a viewer received after `headerBytes` bytes of header. */
export function parseClusters(stream: Buffer, headerBytes: number): { ts: number; keyframe: boolean }[] {
  const out: { ts: number; keyframe: boolean }[] = [];
  let at = headerBytes;
  while (at + 12 <= stream.length) {
    if (stream.readUInt32BE(at) !== 0x1f43b675) throw new Error(`no Cluster at ${at}`);
    const size = stream.readUIntBE(at + 6, 6);
    const body = stream.subarray(at + 12, at + 12 + size);
    if (body[0] !== 0xe7) throw new Error(`no Timestamp first in the cluster at ${at}`);
    const width = body[1] & 0x7f;
    const ts = body.readUIntBE(2, width);
    const block = body.subarray(2 + width);
    // SimpleBlock: ID, 8-byte size, track vint (1 byte), 2-byte relative ts, flags.
    out.push({ ts, keyframe: (block[1 + 8 + 3] & 0x80) !== 0 });
    at += 12 + size;
  }
  return out;
}
