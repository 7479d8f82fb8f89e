/**
 * What a bench viewer does with the bytes it receives: reads the HTTP head, takes the body apart when it
 * is chunked (`Transfer-Encoding: chunked`) or as is when it is close-delimited, walks the Matroska
 * elements (into the unknown-size Segment, over everything else) and reports when the first byte of the
 * first Cluster arrived and when each Cluster's last byte arrived, with a key for matching it to the
 * feeder's write.
 *
 * The key is the Cluster's last bytes: the end of its last block, the same for every viewer whatever
 * Timestamp the server wrote in front (the part after the Timestamp is shared byte for byte), and unique
 * in practice since the source is noise-heavy video.
 */
import { ID, UNKNOWN_SIZE, idLength, readId, readVint, vintLength } from '../server/matroska/ebml.js';

/** Bytes at the end of a Cluster used as its key. */
export const CLUSTER_KEY_BYTES = 16;
const MAX_HTTP_HEAD_BYTES = 4096;
const MAX_CHUNK_LINE_BYTES = 64;

/** The key of a whole Cluster (as the feeder writes it). */
export function clusterKey(cluster: Buffer): string {
  return cluster.subarray(cluster.length - CLUSTER_KEY_BYTES).toString('hex');
}

export interface ScannerEvents {
  /** The first byte of the first Cluster arrived (in the read made at `ns`). */
  onFirstCluster?(ns: bigint): void;
  /** A Cluster's last byte arrived at `ns`; `tail` is valid only during the call. */
  onClusterEnd?(tail: Buffer, ns: bigint): void;
}

type HttpState = 'head' | 'raw' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'done';

export class ClusterScanner {
  private http: HttpState = 'head';
  private head = '';
  private chunkLine = '';
  /** Bytes left in the current HTTP chunk (chunk-data) or of its CRLF (chunk-end). */
  private chunkLeft = 0;
  private element: 'header' | 'body' = 'header';
  /** The element header being read (ID and size), which may arrive split over reads. */
  private readonly header = Buffer.alloc(12);
  private headerLength = 0;
  /** When the first byte of the element header being read arrived. */
  private elementStartNs = 0n;
  private remaining = 0;
  private inCluster = false;
  private readonly tail = Buffer.alloc(CLUSTER_KEY_BYTES);
  private tailLength = 0;
  private seenCluster = false;
  /** The status line, once the head is complete (`HTTP/1.1 200 OK`). */
  statusLine: string | null = null;
  /** The body is chunked (Transfer-Encoding: chunked). */
  chunked = false;
  error: string | null = null;

  constructor(private readonly events: ScannerEvents) {}

  push(chunk: Buffer, ns: bigint): void {
    let pos = 0;
    while (pos < chunk.length && this.error === null) {
      switch (this.http) {
        case 'head':
          pos = this.readHead(chunk, pos);
          break;
        case 'raw':
          this.walk(chunk, pos, chunk.length, ns);
          pos = chunk.length;
          break;
        case 'chunk-size':
          pos = this.readChunkSize(chunk, pos);
          break;
        case 'chunk-data': {
          const end = Math.min(chunk.length, pos + this.chunkLeft);
          this.walk(chunk, pos, end, ns);
          this.chunkLeft -= end - pos;
          pos = end;
          if (this.chunkLeft === 0) {
            this.http = 'chunk-end';
            this.chunkLeft = 2;
          }
          break;
        }
        case 'chunk-end': {
          const take = Math.min(this.chunkLeft, chunk.length - pos);
          pos += take;
          this.chunkLeft -= take;
          if (this.chunkLeft === 0) this.http = 'chunk-size';
          break;
        }
        case 'done':
          return;
      }
    }
  }

  private readHead(chunk: Buffer, pos: number): number {
    const end = Math.min(chunk.length, pos + MAX_HTTP_HEAD_BYTES);
    const text = this.head + chunk.toString('latin1', pos, end);
    const at = text.indexOf('\r\n\r\n');
    if (at < 0) {
      if (text.length >= MAX_HTTP_HEAD_BYTES) this.error = 'HTTP head too long';
      this.head = text;
      return end;
    }
    const head = text.slice(0, at);
    this.statusLine = head.slice(0, head.indexOf('\r\n'));
    if (!/^HTTP\/1\.[01] 200 /.test(this.statusLine)) this.error = `answer: ${this.statusLine}`;
    this.chunked = /\r\ntransfer-encoding:\s*chunked\s*(\r\n|$)/i.test(head);
    this.http = this.chunked ? 'chunk-size' : 'raw';
    return pos + (at + 4 - this.head.length);
  }

  private readChunkSize(chunk: Buffer, pos: number): number {
    const lineEnd = chunk.indexOf(0x0a, pos);
    const end = lineEnd < 0 ? chunk.length : lineEnd + 1;
    this.chunkLine += chunk.toString('latin1', pos, end);
    if (this.chunkLine.length > MAX_CHUNK_LINE_BYTES) {
      this.error = 'bad chunk size line';
      return end;
    }
    if (lineEnd < 0) return end;
    const size = parseInt(this.chunkLine, 16);
    this.chunkLine = '';
    if (!Number.isSafeInteger(size) || size < 0) {
      this.error = 'bad chunk size line';
    } else if (size === 0) {
      this.http = 'done';
    } else {
      this.http = 'chunk-data';
      this.chunkLeft = size;
    }
    return end;
  }

  /** Walks the Matroska elements in `chunk[pos, end)`. */
  private walk(chunk: Buffer, pos: number, end: number, ns: bigint): void {
    while (pos < end && this.error === null) {
      pos =
        this.element === 'header'
          ? this.readElementHeader(chunk, pos, end, ns)
          : this.readBody(chunk, pos, end, ns);
    }
  }

  private readElementHeader(chunk: Buffer, pos: number, end: number, ns: bigint): number {
    while (pos < end) {
      if (this.headerLength === 0) this.elementStartNs = ns;
      this.header[this.headerLength++] = chunk[pos++];
      const idBytes = idLength(this.header[0]);
      if (idBytes === 0) {
        this.error = `bad element ID byte 0x${this.header[0].toString(16)}`;
        return pos;
      }
      if (this.headerLength <= idBytes) continue;
      const sizeBytes = vintLength(this.header[idBytes]);
      if (sizeBytes === 0) {
        this.error = 'bad element size';
        return pos;
      }
      if (this.headerLength < idBytes + sizeBytes) continue;
      const id = readId(this.header, 0, idBytes);
      const size = readVint(this.header, idBytes, sizeBytes);
      this.headerLength = 0;
      if (id === ID.Segment) continue; // step inside: its children are what we walk
      if (size === UNKNOWN_SIZE) {
        this.error = 'unknown-size element other than the Segment';
        return pos;
      }
      this.inCluster = id === ID.Cluster;
      if (this.inCluster && !this.seenCluster) {
        this.seenCluster = true;
        this.events.onFirstCluster?.(this.elementStartNs);
      }
      this.remaining = size;
      this.tailLength = 0;
      this.element = 'body';
      if (size === 0) this.finishElement(ns);
      return pos;
    }
    return pos;
  }

  private readBody(chunk: Buffer, pos: number, end: number, ns: bigint): number {
    const stop = Math.min(end, pos + this.remaining);
    if (this.inCluster) this.keepTail(chunk, pos, stop);
    this.remaining -= stop - pos;
    if (this.remaining === 0) this.finishElement(ns);
    return stop;
  }

  private keepTail(chunk: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n >= CLUSTER_KEY_BYTES) {
      chunk.copy(this.tail, 0, end - CLUSTER_KEY_BYTES, end);
      this.tailLength = CLUSTER_KEY_BYTES;
      return;
    }
    const keep = Math.min(this.tailLength, CLUSTER_KEY_BYTES - n);
    this.tail.copy(this.tail, 0, this.tailLength - keep, this.tailLength);
    chunk.copy(this.tail, keep, start, end);
    this.tailLength = keep + n;
  }

  private finishElement(ns: bigint): void {
    this.element = 'header';
    if (this.inCluster && this.tailLength === CLUSTER_KEY_BYTES) this.events.onClusterEnd?.(this.tail, ns);
    this.inCluster = false;
  }
}
