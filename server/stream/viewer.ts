import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import { clusterPrefix, withoutBlocks } from '../matroska/cluster.js';
import type { ViewerInfo } from '../api.js';
import type { LiveCluster } from './timeline.js';

export interface ViewerPolicy {
  /** A viewer whose oldest queued cluster has waited longer than this skips to the next keyframe. */
  maxLagMs: number;
  /** Bytes queued for one viewer before it is treated as too far behind (whatever their age). */
  maxQueueBytes: number;
  /** Skips in a row with no progress in between (the viewer stopped reading) before it is dropped. */
  maxStalledSkips: number;
  /** Skips within a minute before a viewer that reads, but too slowly, is dropped. */
  maxSkipsPerMinute: number;
  /**
   * A viewer whose socket has taken no byte for this long while bytes wait for it is dropped as
   * stalled: it stopped reading, or never read its start burst. Such a viewer holds a place under the
   * viewer cap and megabytes of kernel send buffer; the skip rule alone takes three lag limits.
   */
  maxUnreadMs: number;
}

export const DEFAULT_VIEWER_POLICY: ViewerPolicy = {
  maxLagMs: 2000,
  maxQueueBytes: 32 * 1024 * 1024,
  maxStalledSkips: 3,
  maxSkipsPerMinute: 10,
  maxUnreadMs: 5000,
};

export type ViewerCloseReason =
  'client closed' | 'stream ended' | 'too slow' | 'stalled' | 'kicked' | 'server stopped' | 'write error';

/**
 * Hangs up on the peer. Every close but the client's own cuts the stream short, and the peer may have
 * stopped reading: a plain destroy() sends a FIN queued behind the unsent bytes, and the kernel keeps
 * those bytes (megabytes per socket) for minutes, even after this process exits. A reset (RST) frees
 * them at once. A sink that is not a TCP socket is destroyed.
 */
function hangUp(sink: Writable, reason: ViewerCloseReason): void {
  const socket = sink as Writable & { resetAndDestroy?: () => void };
  if (reason !== 'client closed' && typeof socket.resetAndDestroy === 'function') {
    try {
      socket.resetAndDestroy();
      return;
    } catch {
      // Not a TCP handle (ERR_INVALID_HANDLE_TYPE): a plain destroy below.
    }
  }
  sink.destroy();
}

export interface ViewerMeta {
  id: string;
  address: string;
  client: string;
  userAgent: string;
}

interface Queued {
  cluster: LiveCluster;
  enqueuedMs: number;
}

/**
 * How the bytes are framed on the wire. HTTP/1.1 responses are chunked, so a player sees a proper end
 * of the body (a close-delimited body looks like a broken connection to ffmpeg and mpv); HTTP/1.0
 * responses end with the connection.
 */
export type Framing = 'chunked' | 'close';

/**
 * Each chunk ends with its own CRLF, written with it. (Putting it in front of the next chunk's size
 * line would save a buffer per write, but some clients, VLC's chunked reader among them, wait for a
 * chunk's CRLF before handing its last bytes on: a frame of latency.)
 */
const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

function chunkSizeLine(bytes: number): Buffer {
  return Buffer.from(`${bytes.toString(16)}\r\n`, 'latin1');
}

/**
 * The rewritten head for cluster `lc` at output timestamp `t` (with the chunk-size line in front when
 * chunked), made once and shared by the viewers that need the same one.
 */
function headFor(lc: LiveCluster, t: number, framing: Framing): Buffer {
  const cache = (lc.prefixes ??= new Map());
  const key = framing === 'chunked' ? -1 - t : t;
  let head = cache.get(key);
  if (!head) {
    const prefix = clusterPrefix(lc.cluster, t);
    head =
      framing === 'chunked' ? Buffer.concat([chunkSizeLine(prefix.length + lc.body.length), prefix]) : prefix;
    cache.set(key, head);
  }
  return head;
}

/**
 * `lc` for a viewer that starts decoding at it: without an open GOP's leading frames (which refer to the
 * GOP before, which this viewer never had), made once and shared; `lc` itself when it has none.
 */
function entryFor(lc: LiveCluster): LiveCluster {
  const leading = lc.cluster.leadingBlocks;
  if (!leading) return lc;
  if (!lc.entry) {
    const cluster = withoutBlocks(lc.cluster, leading);
    lc.entry = { ...lc, cluster, body: cluster.bytes.subarray(cluster.timestampEnd), prefixes: new Map() };
  }
  return lc.entry;
}

/**
 * One viewer: owns its HTTP response socket, writes shared cluster Buffers to it with the cluster
 * timestamp rewritten so its stream starts at 0, queues by reference while the socket is full, and
 * decides (here and only here) what happens when it falls behind: skip to the next keyframe, and drop
 * a viewer that keeps failing.
 *
 * Events: 'close' (reason: ViewerCloseReason).
 */
export class Viewer extends EventEmitter {
  readonly since = new Date();
  private readonly queue: Queued[] = [];
  private queueBytes = 0;
  private waitingForDrain = false;
  /** When the socket last refused bytes with none taken since (null while it takes them). */
  private blockedSinceMs: number | null = null;
  /** Not started yet (no keyframe written), or skipped: non-keyframe clusters are dropped until one comes. */
  private waitingForKeyframe = true;
  /**
   * Output timestamp = timeline ts − base, so the stream starts at 0 and stays continuous after a skip.
   * It starts at the cluster's entryOffset (not 0: later clusters may step back, see Timeline), and a
   * skip continues that much after the last block written, so block times never go back.
   */
  private base = 0;
  private lastOutTs = -1;
  /** The latest output block time written (a cluster's blocks may run past its Timestamp). */
  private lastOutEndTs = -1;
  /** The keyframe cluster this viewer starts (or starts again) decoding at. */
  private entry: LiveCluster | null = null;
  private bytesSent = 0;
  private skips = 0;
  private skipTimesMs: number[] = [];
  private stalledSkips = 0;
  private ending = false;
  private closed = false;
  private headerWritten = false;

  constructor(
    readonly meta: ViewerMeta,
    private readonly sink: Writable,
    private readonly policy: ViewerPolicy,
    private readonly now: () => number,
    private readonly framing: Framing = 'close',
  ) {
    super();
    this.onDrain = this.onDrain.bind(this);
    this.onSinkClose = this.onSinkClose.bind(this);
    this.onSinkError = this.onSinkError.bind(this);
    sink.on('close', this.onSinkClose);
    sink.on('error', this.onSinkError);
  }

  /** Writes the init header and the start burst (the current GOP from its keyframe, maybe earlier GOPs). */
  start(initHeader: Buffer, burst: readonly LiveCluster[]): void {
    if (this.closed) return;
    this.headerWritten = true;
    this.writeRaw(initHeader);
    for (const cluster of burst) this.push(cluster);
  }

  /** A cluster for this viewer: written now if the socket takes it, else queued by reference. */
  push(cluster: LiveCluster): void {
    if (this.closed || this.ending || !this.headerWritten) return;
    // Checked before anything else: a skipped viewer waiting for its next keyframe may be a dead one.
    if (this.blockedSinceMs !== null && this.now() - this.blockedSinceMs > this.policy.maxUnreadMs)
      return this.close('stalled');
    if (this.waitingForKeyframe) {
      if (!cluster.keyframe) return;
      this.waitingForKeyframe = false;
      // The first cluster after a start or a skip continues one source frame gap after the last one.
      this.base =
        this.lastOutTs < 0
          ? cluster.ts - (cluster.entryOffset ?? 0)
          : cluster.ts - (this.lastOutEndTs + cluster.gapBefore + (cluster.entryOffset ?? 0));
      this.entry = cluster;
    }
    if (this.waitingForDrain || this.queue.length > 0) {
      this.queue.push({ cluster, enqueuedMs: this.now() });
      this.queueBytes += cluster.cluster.bytes.length;
      this.enforceLag();
      return;
    }
    this.writeCluster(cluster);
  }

  /** The current lag: how long the oldest queued cluster has waited (0 when nothing waits). */
  get lagMs(): number {
    const oldest = this.queue[0];
    return oldest ? Math.max(0, this.now() - oldest.enqueuedMs) : 0;
  }

  /** The init header has been written (viewers that came before the input's header wait for it). */
  get started(): boolean {
    return this.headerWritten;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  info(): ViewerInfo {
    return {
      id: this.meta.id,
      address: this.meta.address,
      client: this.meta.client,
      userAgent: this.meta.userAgent,
      since: this.since.toISOString(),
      bytesSent: this.bytesSent,
      lagMs: Math.round(this.lagMs),
      skips: this.skips,
    };
  }

  /** Ends the stream cleanly once what is queued has been written. */
  end(): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    if (!this.waitingForDrain && this.queue.length === 0) this.finish();
  }

  /** Drops the connection now. Idempotent. */
  close(reason: ViewerCloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.queueBytes = 0;
    this.sink.off('drain', this.onDrain);
    this.sink.off('close', this.onSinkClose);
    this.sink.off('error', this.onSinkError);
    // A late socket error after we let go must not become an uncaught exception.
    this.sink.on('error', () => {});
    hangUp(this.sink, reason);
    this.emit('close', reason);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.off('drain', this.onDrain);
    this.sink.off('close', this.onSinkClose);
    this.sink.off('error', this.onSinkError);
    this.sink.on('error', () => {});
    if (this.framing === 'chunked') this.sink.end(LAST_CHUNK);
    else this.sink.end();
    this.emit('close', 'stream ended' satisfies ViewerCloseReason);
  }

  private writeRaw(bytes: Buffer): void {
    this.bytesSent += bytes.length;
    let ok: boolean;
    if (this.framing === 'chunked') {
      this.sink.cork();
      this.sink.write(chunkSizeLine(bytes.length));
      this.sink.write(bytes);
      ok = this.sink.write(CRLF);
      this.sink.uncork();
    } else {
      ok = this.sink.write(bytes);
    }
    if (!ok && this.sink.writableLength > 0) this.waitForDrain();
  }

  private writeCluster(queued: LiveCluster): void {
    let lc = queued;
    if (queued === this.entry) {
      this.entry = null;
      lc = entryFor(queued);
    }
    const t = Math.max(0, lc.ts - this.base);
    const head = headFor(lc, t, this.framing);
    this.lastOutTs = t;
    this.lastOutEndTs = Math.max(this.lastOutEndTs, t + Math.max(0, lc.cluster.lastBlockOffset));
    this.bytesSent += head.length + lc.body.length;
    // cork/uncork turns the writes into one writev: one syscall per cluster per viewer.
    this.sink.cork();
    this.sink.write(head);
    let ok = this.sink.write(lc.body);
    if (this.framing === 'chunked') ok = this.sink.write(CRLF);
    this.sink.uncork();
    // A write larger than the socket's high-water mark (16 KiB) returns false even when the kernel took
    // it all at once; waiting for 'drain' then costs a round trip per cluster per viewer for nothing.
    if (!ok && this.sink.writableLength > 0) this.waitForDrain();
  }

  private waitForDrain(): void {
    if (this.waitingForDrain || this.closed) return;
    this.waitingForDrain = true;
    this.blockedSinceMs = this.now();
    this.sink.once('drain', this.onDrain);
  }

  private onDrain(): void {
    this.waitingForDrain = false;
    this.blockedSinceMs = null;
    this.stalledSkips = 0;
    while (this.queue.length > 0 && !this.waitingForDrain && !this.closed) {
      const next = this.queue.shift() as Queued;
      this.queueBytes -= next.cluster.cluster.bytes.length;
      this.writeCluster(next.cluster);
    }
    if (this.ending && !this.waitingForDrain && this.queue.length === 0) this.finish();
  }

  /** The one place that decides what happens to a viewer that falls behind. */
  private enforceLag(): void {
    const { maxLagMs, maxQueueBytes, maxStalledSkips, maxSkipsPerMinute } = this.policy;
    if (this.lagMs <= maxLagMs && this.queueBytes <= maxQueueBytes) return;
    const nowMs = this.now();
    this.skips += 1;
    this.stalledSkips += 1;
    this.skipTimesMs = this.skipTimesMs.filter((t) => nowMs - t < 60_000);
    this.skipTimesMs.push(nowMs);
    if (this.stalledSkips >= maxStalledSkips) return this.close('stalled');
    if (this.skipTimesMs.length >= maxSkipsPerMinute) return this.close('too slow');
    // Jump to the newest queued keyframe; with none queued, drop everything and wait for the next one.
    let keyAt = -1;
    for (let i = this.queue.length - 1; i > 0; i--) {
      if (this.queue[i].cluster.keyframe) {
        keyAt = i;
        break;
      }
    }
    const dropped = keyAt > 0 ? this.queue.splice(0, keyAt) : this.queue.splice(0);
    for (const d of dropped) this.queueBytes -= d.cluster.cluster.bytes.length;
    if (keyAt > 0) {
      const key = this.queue[0].cluster;
      this.base = key.ts - (this.lastOutEndTs + key.gapBefore + (key.entryOffset ?? 0));
      this.entry = key;
    } else {
      this.waitingForKeyframe = true;
    }
  }

  private onSinkClose(): void {
    this.close('client closed');
  }

  private onSinkError(): void {
    this.close('write error');
  }
}
