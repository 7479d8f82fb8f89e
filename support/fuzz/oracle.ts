/**
 * The fuzzer's oracle: feeds one input to a MatroskaReader whole and in random chunks, and says whether the
 * reader kept its contract. The only acceptable failure is a MatroskaError with a known code and an offset
 * inside the input; the same input gives the same outcome whatever the chunking; the bytes held never pass
 * the caps; every header and cluster is well formed (each cluster parses, carries its Timestamp, can be
 * retimed by clusterPrefix as the publisher does, and is a slice of the input or a cut of one whose block
 * payloads all come from the input). Test support only, like ../ebml-builders.ts.
 */
import { createHash } from 'node:crypto';
import { clusterPrefix } from '../../server/matroska/cluster.js';
import {
  ID,
  UNKNOWN_SIZE,
  children,
  readElementHeader,
  readUint,
  vintLength,
} from '../../server/matroska/ebml.js';
import { MatroskaError, type MatroskaErrorCode } from '../../server/matroska/errors.js';
import { MatroskaReader, type MatroskaReaderOptions } from '../../server/matroska/reader.js';
import { seededRandom } from '../ebml-builders.js';
import type { Cluster, InitHeader, ReaderEvent } from '../../server/matroska/types.js';

/** Small caps, so that an input that makes the reader hold too much shows it at once. */
export const FUZZ_CAPS: Required<MatroskaReaderOptions> = {
  maxClusterBytes: 64 * 1024,
  maxHeaderBytes: 16 * 1024,
};

const EBML_HEAD_MAX_BYTES = 4096;
/** Bytes a cut piece adds to the part of a cluster it holds: Cluster ID, 8-byte size, a Timestamp. */
const CUT_PIECE_OVERHEAD_BYTES = 4 + 8 + 2 + 8;

// A Record, so that a code added to MatroskaErrorCode without being added here fails to compile.
const KNOWN_CODES: Record<MatroskaErrorCode, true> = {
  NOT_MATROSKA: true,
  BAD_ID: true,
  BAD_SIZE: true,
  ELEMENT_TOO_LARGE: true,
  UNKNOWN_SIZE_NOT_ALLOWED: true,
  TRUNCATED: true,
  NO_TRACKS: true,
  MISSING_TIMESTAMP: true,
  BAD_BLOCK: true,
  UNEXPECTED_ELEMENT: true,
};

export const CHUNKINGS = ['whole', 'bytes1', 'small', 'medium', 'large'] as const;
export type ChunkingMode = (typeof CHUNKINGS)[number];

export interface Chunking {
  mode: ChunkingMode;
  /** Seed of the random chunk sizes. */
  seed: number;
}

/** Chunk sizes: whole, 1 byte, 1–16, 1–4096, 1–65536 bytes. */
export function chunkSizes(chunking: Chunking, length: number): () => number {
  const random = seededRandom(chunking.seed);
  const upTo = (max: number) => () => 1 + Math.floor(random() * max);
  switch (chunking.mode) {
    case 'whole':
      return () => Math.max(1, length);
    case 'bytes1':
      return () => 1;
    case 'small':
      return upTo(16);
    case 'medium':
      return upTo(4096);
    case 'large':
      return upTo(65536);
  }
}

/** How the reader finished: its events (as a digest) or its error. */
export type Outcome =
  | { kind: 'ok'; events: number; clusters: number; cuts: number; headers: number; digest: string }
  | { kind: 'error'; code: MatroskaErrorCode; offset: number; message: string };

export interface Verdict {
  outcome: Outcome | null;
  /** The contract broken (a crash, a cap passed, a malformed event, chunkings that disagree); null when kept. */
  problem: string | null;
  /** Largest `bufferedBytes` seen after any push, over both runs. */
  peakBufferedBytes: number;
  /** Wall time of both runs. */
  ms: number;
}

/** Makes the reader under test; the oracle's own tests pass in a broken one to see it caught. */
export type ReaderFactory = (options: Required<MatroskaReaderOptions>) => MatroskaReader;

const newReader: ReaderFactory = (options) => new MatroskaReader(options);

/**
 * Reads `input` whole, then (unless `chunking` is whole) in its chunks, and judges the reader. Never
 * throws for anything the reader does: what went wrong is in `problem`.
 */
export function judge(
  input: Buffer,
  chunking: Chunking,
  caps: Required<MatroskaReaderOptions> = FUZZ_CAPS,
  createReader: ReaderFactory = newReader,
): Verdict {
  const started = performance.now();
  const whole = readOnce(input, { mode: 'whole', seed: 0 }, caps, createReader);
  let problem = whole.problem;
  let peak = whole.peakBufferedBytes;
  if (problem === null && chunking.mode !== 'whole') {
    const chunked = readOnce(input, chunking, caps, createReader);
    peak = Math.max(peak, chunked.peakBufferedBytes);
    problem = chunked.problem;
    if (problem === null && !sameOutcome(whole.outcome!, chunked.outcome!)) {
      problem =
        `${chunking.mode} chunks (seed ${chunking.seed}) gave ${describeOutcome(chunked.outcome!)}, ` +
        `whole input gave ${describeOutcome(whole.outcome!)}`;
    }
  }
  return { outcome: whole.outcome, problem, peakBufferedBytes: peak, ms: performance.now() - started };
}

export function describeOutcome(outcome: Outcome): string {
  return outcome.kind === 'ok'
    ? `ok (${outcome.headers} headers, ${outcome.clusters} clusters, ${outcome.cuts} cut)`
    : `${outcome.code} at ${outcome.offset}: ${outcome.message}`;
}

/** `ok`, `ok-cut`, `bad-size`, …: how a corpus file is named, and what replaying it must give again. */
export function outcomeLabel(outcome: Outcome): string {
  if (outcome.kind === 'error') return outcome.code.toLowerCase().replace(/_/g, '-');
  return ['ok', outcome.cuts > 0 ? 'cut' : '', outcome.headers > 1 ? 'new-header' : '']
    .filter(Boolean)
    .join('-');
}

/** Elements whose name in a message tells a code path apart; the others are all `?` in a feature. */
const STRUCTURAL_NAMES = new Set([
  'EBML',
  'Segment',
  'Cluster',
  'BlockGroup',
  'SimpleBlock',
  'Block',
  'Timestamp',
]);

/** What kind of outcome this is, with the numbers and unnamed IDs taken out: one corpus file each. */
export function feature(outcome: Outcome): string {
  if (outcome.kind === 'ok') {
    return ['ok', outcome.cuts > 0 ? 'cut' : '', outcome.headers > 1 ? 'new header' : '']
      .filter(Boolean)
      .join(', ');
  }
  const message = outcome.message
    .replace(/ \(at byte \d+\)$/, '')
    .replace(/([\w-]+) \(0x[0-9A-F]+\)|element 0x[0-9A-F]+/g, (_, name?: string) =>
      name !== undefined && STRUCTURAL_NAMES.has(name) ? name : '?',
    )
    .replace(/bytes( [0-9A-F]{2})+/, 'bytes …')
    .replace(/\d+/g, 'N')
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"');
  return `${outcome.code}: ${message}`;
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  if (a.kind === 'ok' && b.kind === 'ok') return a.digest === b.digest;
  if (a.kind === 'error' && b.kind === 'error') {
    return a.code === b.code && a.offset === b.offset && a.message === b.message;
  }
  return false;
}

interface Run {
  outcome: Outcome | null;
  problem: string | null;
  peakBufferedBytes: number;
}

function readOnce(
  input: Buffer,
  chunking: Chunking,
  caps: Required<MatroskaReaderOptions>,
  createReader: ReaderFactory,
): Run {
  const reader = createReader(caps);
  const limit = Math.max(caps.maxClusterBytes, caps.maxHeaderBytes, EBML_HEAD_MAX_BYTES);
  const events: ReaderEvent[] = [];
  const nextSize = chunkSizes(chunking, input.length);
  let peak = 0;
  try {
    for (let at = 0; at < input.length;) {
      const chunk = input.subarray(at, at + nextSize());
      at += chunk.length;
      for (const event of reader.push(chunk)) events.push(event);
      peak = Math.max(peak, reader.bufferedBytes);
      // One chunk beyond the caps: bytes that arrived with the last chunk, after the element being held.
      if (reader.bufferedBytes > limit + chunk.length) {
        return {
          outcome: null,
          problem: `holds ${reader.bufferedBytes} bytes after a ${chunk.length}-byte chunk at byte ${at}: more than the caps (${limit}) plus that chunk`,
          peakBufferedBytes: peak,
        };
      }
    }
    for (const event of reader.end()) events.push(event);
  } catch (error) {
    return { ...judgeError(error, input, reader), peakBufferedBytes: peak };
  }
  const checked = checkEvents(events, input, caps);
  if (typeof checked === 'string') return { outcome: null, problem: checked, peakBufferedBytes: peak };
  return { outcome: checked, problem: null, peakBufferedBytes: peak };
}

function judgeError(
  error: unknown,
  input: Buffer,
  reader: MatroskaReader,
): { outcome: Outcome | null; problem: string | null } {
  if (!(error instanceof MatroskaError)) return { outcome: null, problem: `crash: ${describeThrown(error)}` };
  const { code, offset, message } = error;
  if (!Object.hasOwn(KNOWN_CODES, code)) return { outcome: null, problem: `unknown error code ${code}` };
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > input.length) {
    return {
      outcome: null,
      problem: `${code} with offset ${offset}, outside the ${input.length}-byte input`,
    };
  }
  if (!message.endsWith(`(at byte ${offset})`)) {
    return { outcome: null, problem: `${code} message does not end with its offset: ${message}` };
  }
  // A broken stream stays broken: the next call reports the same error.
  try {
    reader.end();
    return { outcome: null, problem: `${code}, then end() returned instead of throwing it again` };
  } catch (again) {
    if (again !== error)
      return { outcome: null, problem: `${code}, then end() threw ${describeThrown(again)}` };
  }
  return { outcome: { kind: 'error', code, offset, message }, problem: null };
}

/** `TypeError: … at file:line` (the first frame points at the bug). */
export function describeThrown(error: unknown): string {
  if (!(error instanceof Error)) return `a non-Error value ${String(error)}`;
  const frame = error.stack
    ?.split('\n')
    .find((line) => line.trim().startsWith('at '))
    ?.trim();
  return `${error.name}: ${error.message}${frame ? ` ${frame}` : ''}`;
}

/** The outcome of a run that ended cleanly, or what is wrong with its events. */
function checkEvents(
  events: ReaderEvent[],
  input: Buffer,
  caps: Required<MatroskaReaderOptions>,
): Outcome | string {
  const hash = createHash('sha1');
  let headers = 0;
  let clusters = 0;
  let cuts = 0;
  let sliceFrom = 0;
  for (const [i, event] of events.entries()) {
    let problem: string | null;
    if (event.kind === 'header') {
      headers++;
      problem = checkHeader(event.header, caps);
      hash.update(event.header.bytes);
      hash.update(JSON.stringify({ ...event.header, bytes: null }));
    } else {
      if (headers === 0) return `event ${i}: a cluster before any header`;
      clusters++;
      const cluster = event.cluster;
      problem = checkCluster(cluster, caps);
      if (problem === null) {
        // Uncut clusters are the input's own bytes, in order; a cut one is made of blocks from the input.
        const at = input.indexOf(cluster.bytes, sliceFrom);
        if (at >= 0) sliceFrom = at + cluster.bytes.length;
        else {
          cuts++;
          problem = checkCutFromInput(cluster, input);
        }
      }
      hash.update(cluster.bytes);
      hash.update(JSON.stringify({ ...cluster, bytes: null }));
    }
    if (problem !== null) return `event ${i} (${event.kind}): ${problem}`;
  }
  if (headers === 0) return 'ended without error and without a header';
  return { kind: 'ok', events: events.length, clusters, cuts, headers, digest: hash.digest('hex') };
}

function checkHeader(header: InitHeader, caps: Required<MatroskaReaderOptions>): string | null {
  const { bytes, docType, timestampScaleNs, tracks } = header;
  if (!Buffer.isBuffer(bytes) || bytes.readUInt32BE(0) !== ID.EBML)
    return 'header bytes do not start with the EBML ID';
  // The EBML head and kept elements count against the cap; the 12-byte live Segment start is ours.
  if (bytes.length > caps.maxHeaderBytes + 12) return `header of ${bytes.length} bytes passes maxHeaderBytes`;
  if (docType !== 'matroska' && docType !== 'webm') return `docType ${String(docType)}`;
  if (!(Number.isSafeInteger(timestampScaleNs) && timestampScaleNs > 0))
    return `timestampScaleNs ${timestampScaleNs}`;
  if (!Array.isArray(tracks) || tracks.length === 0) return 'a header without tracks';
  for (const track of tracks) {
    // Not necessarily a safe integer: a TrackNumber past 2^53 is inexact, but no block can name it anyway.
    if (!(Number.isInteger(track.number) && track.number > 0)) return `track number ${track.number}`;
    if (typeof track.codecId !== 'string' || typeof track.codec !== 'string')
      return 'track codec is not a string';
  }
  return null;
}

function checkCluster(cluster: Cluster, caps: Required<MatroskaReaderOptions>): string | null {
  const { bytes, timestamp, keyframe, timestampEnd, payloadStart, unknownSize, lastBlockOffset } = cluster;
  if (typeof keyframe !== 'boolean' || typeof unknownSize !== 'boolean')
    return 'keyframe or unknownSize is not a boolean';
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) return `timestamp ${timestamp}`;
  if (!Number.isInteger(lastBlockOffset) || Math.abs(lastBlockOffset) > 0xffff)
    return `lastBlockOffset ${lastBlockOffset}`;
  if (bytes.length > caps.maxClusterBytes + CUT_PIECE_OVERHEAD_BYTES)
    return `${bytes.length} bytes, past maxClusterBytes`;
  let head;
  try {
    head = readElementHeader(bytes, 0, bytes.length, 0);
  } catch (error) {
    return `its own header does not read: ${describeThrown(error)}`;
  }
  if (head === null || head.id !== ID.Cluster) return 'does not start with a Cluster header';
  if (head.dataStart !== payloadStart) return `payloadStart ${payloadStart}, header says ${head.dataStart}`;
  if (unknownSize !== (head.size === UNKNOWN_SIZE))
    return `unknownSize ${unknownSize}, size field says otherwise`;
  if (!unknownSize && head.size !== bytes.length - payloadStart)
    return `size field ${head.size}, holds ${bytes.length - payloadStart}`;
  let sawTimestamp = false;
  try {
    for (const child of children(bytes, payloadStart, bytes.length, ID.Cluster, 0)) {
      const end = child.dataStart + child.size;
      if (end === timestampEnd && child.id === ID.Timestamp) {
        sawTimestamp = true;
        const value = readUint(bytes, child.dataStart, child.size);
        if (value !== timestamp) return `Timestamp element says ${value}, event says ${timestamp}`;
      }
    }
  } catch (error) {
    return `its children do not read: ${describeThrown(error)}`;
  }
  if (!sawTimestamp) return `no Timestamp element ends at timestampEnd ${timestampEnd}`;
  try {
    clusterPrefix(cluster, 0);
    clusterPrefix(cluster, timestamp);
  } catch (error) {
    return `clusterPrefix (what the publisher calls) throws: ${describeThrown(error)}`;
  }
  return null;
}

/** Every block payload of a cut cluster is found in the input: a cut moves bytes, never makes them up. */
function checkCutFromInput(cluster: Cluster, input: Buffer): string | null {
  const { bytes, payloadStart } = cluster;
  for (const child of children(bytes, payloadStart, bytes.length, ID.Cluster, 0)) {
    const blocks =
      child.id === ID.SimpleBlock
        ? [child]
        : child.id === ID.BlockGroup
          ? [...children(bytes, child.dataStart, child.dataStart + child.size, ID.BlockGroup, 0)].filter(
              (g) => g.id === ID.Block,
            )
          : [];
    for (const block of blocks) {
      const payload = bytes.subarray(
        block.dataStart + vintLength(bytes[block.dataStart]) + 3,
        block.dataStart + block.size,
      );
      if (payload.length > 0 && input.indexOf(payload) < 0) {
        return `a cut cluster holds a block payload (at ${block.start}) that is not in the input`;
      }
    }
  }
  return null;
}
