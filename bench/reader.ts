/**
 * MatroskaReader against the `ebml` package's Decoder on the stream the capture makes (1080p30 H.264 at
 * ~8 Mbit/s, one frame per cluster, 20 s), fed in 64 KiB chunks; median of 5 runs each. Also checks
 * whether the Decoder's tag events are enough to give back each Cluster byte for byte, on the stream as
 * ffmpeg writes it and with its Clusters turned into unknown-size ones.
 */
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import type { Transform } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { encodeVint, unknownSizeVint } from '../server/matroska/ebml.js';
import { MatroskaReader } from '../server/matroska/reader.js';
import type { ReaderEvent } from '../server/matroska/types.js';
import { makeMedia } from '../support/media.js';

export interface ReaderBenchResult {
  bytes: number;
  ours: { mbPerSec: number };
  ebmlPackage: {
    mbPerSec: number;
    /** Clusters rebuilt from the Decoder's events equal ours on this stream. */
    byteExact: boolean;
    /** The same on this stream with every Cluster given an unknown size (as some live muxers write them). */
    byteExactUnknownSize: boolean;
  };
}

/** What the `ebml` Decoder emits: `[kind, tag]` with the tag's ID as hex, its data size and a copy of its data. */
type EbmlChunk = [
  'start' | 'end' | 'tag',
  { tagStr: string; name?: string; dataSize: number; data?: Uint8Array; start: number; end: number },
];
interface EbmlModule {
  Decoder: new () => Transform;
}

// The package is CommonJS without types; this is the part of its surface the bench uses.
const ebml = createRequire(import.meta.url)('ebml') as EbmlModule;

const CHUNK_BYTES = 64 * 1024;
const RUNS = 5;
const MIN_RUN_MS = 250;

function chunksOf(bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) chunks.push(bytes.subarray(i, i + CHUNK_BYTES));
  return chunks;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * MB/s of `read` over a stream of `bytes`, repeated until a run lasts long enough to time: one pass of our
 * reader over 20 MB takes about 10 ms, too short for a steady figure on a busy machine.
 */
async function throughput(bytes: number, read: () => Promise<void>): Promise<number> {
  const start = performance.now();
  let passes = 0;
  do {
    await read();
    passes++;
  } while (performance.now() - start < MIN_RUN_MS);
  return Math.round((bytes * passes) / 1e6 / ((performance.now() - start) / 1000));
}

function readOurs(chunks: Buffer[]): ReaderEvent[] {
  const reader = new MatroskaReader();
  const events: ReaderEvent[] = [];
  for (const chunk of chunks) events.push(...reader.push(chunk));
  events.push(...reader.end());
  return events;
}

function clusterBytes(events: ReaderEvent[]): Buffer[] {
  return events.flatMap((event) => (event.kind === 'cluster' ? [event.cluster.bytes] : []));
}

/** The same stream with every Cluster's size field replaced by an 8-byte unknown size. */
function withUnknownSizeClusters(events: ReaderEvent[]): Buffer {
  return Buffer.concat(
    events.flatMap((event) =>
      event.kind === 'header'
        ? [event.header.bytes]
        : [
            event.cluster.bytes.subarray(0, 4),
            unknownSizeVint(8),
            event.cluster.bytes.subarray(event.cluster.payloadStart),
          ],
    ),
  );
}

async function rebuildsExactly(bytes: Buffer): Promise<boolean> {
  const chunks = chunksOf(bytes);
  const ours = clusterBytes(readOurs(chunks));
  const rebuilt = await decodeWithEbml(chunks, true);
  return rebuilt.length === ours.length && rebuilt.every((cluster, i) => cluster.equals(ours[i]));
}

/**
 * Runs the Decoder over the chunks. With `rebuild`, puts each Cluster back together from the events, the
 * only way to get its bytes from them: ID and data as given, size fields re-encoded (the events do not say
 * how wide the original ones were).
 */
async function decodeWithEbml(chunks: Buffer[], rebuild: boolean): Promise<Buffer[]> {
  const decoder = new ebml.Decoder();
  const clusters: Buffer[] = [];
  let parts: Buffer[] | null = null;
  decoder.on('data', ([kind, tag]: EbmlChunk) => {
    if (!rebuild) return;
    const head = (): Buffer => Buffer.concat([Buffer.from(tag.tagStr, 'hex'), encodeVint(tag.dataSize)]);
    if (tag.name === 'Cluster') {
      if (kind === 'start') parts = [];
      else if (kind === 'end' && parts) {
        const data = Buffer.concat(parts);
        clusters.push(Buffer.concat([Buffer.from(tag.tagStr, 'hex'), encodeVint(data.length), data]));
        parts = null;
      }
    } else if (parts && kind === 'start') {
      parts.push(head());
    } else if (parts && kind === 'tag' && tag.data) {
      parts.push(head(), Buffer.from(tag.data));
    }
  });
  const finished = new Promise<void>((resolve, reject) => {
    decoder.on('end', resolve);
    decoder.on('error', reject);
  });
  for (const chunk of chunks) decoder.write(chunk);
  decoder.end();
  await finished;
  return clusters;
}

export async function benchReader(): Promise<ReaderBenchResult> {
  const file = await makeMedia('h264-aac', {
    seconds: 20,
    width: 1920,
    height: 1080,
    fps: 30,
    bitrateKbps: 8000,
  });
  const bytes = await readFile(file);
  const chunks = chunksOf(bytes);

  const ours: number[] = [];
  const ebmlPackage: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    ours.push(await throughput(bytes.length, async () => void readOurs(chunks)));
    ebmlPackage.push(await throughput(bytes.length, () => decodeWithEbml(chunks, false).then(() => {})));
  }

  return {
    bytes: bytes.length,
    ours: { mbPerSec: median(ours) },
    ebmlPackage: {
      mbPerSec: median(ebmlPackage),
      byteExact: await rebuildsExactly(bytes),
      byteExactUnknownSize: await rebuildsExactly(withUnknownSizeClusters(readOurs(chunks))),
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchReader(), null, 2));
}
