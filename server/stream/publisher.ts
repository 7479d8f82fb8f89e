import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import type { InitHeader } from '../matroska/types.js';
import type { ViewerInfo } from '../api.js';
import { SegmentRing } from './ring.js';
import type { LiveCluster } from './timeline.js';
import {
  DEFAULT_VIEWER_POLICY,
  type Framing,
  Viewer,
  type ViewerCloseReason,
  type ViewerMeta,
  type ViewerPolicy,
} from './viewer.js';

export interface PublisherOptions {
  /** Complete GOPs sent before the current one to a new viewer (smoother start, more delay). */
  fastStartSegments: number;
  policy: ViewerPolicy;
  /** Bytes the segment ring may hold. */
  maxRingBytes: number;
  now: () => number;
}

export const DEFAULT_PUBLISHER_OPTIONS: PublisherOptions = {
  fastStartSegments: 0,
  policy: DEFAULT_VIEWER_POLICY,
  maxRingBytes: 64 * 1024 * 1024,
  now: () => performance.now(),
};

const RATE_WINDOW_MS = 3000;

/**
 * What the Publisher needs of a viewer: an HTTP `Viewer`, or one on another transport (a WebRTC
 * peer, server/webrtc/webrtc-viewer.ts) that gets the same join, fan-out, cap and /status entry.
 */
export interface LiveViewer {
  readonly started: boolean;
  readonly isClosed: boolean;
  start(header: Buffer, burst: LiveCluster[]): void;
  push(cluster: LiveCluster): void;
  end(): void;
  close(reason: ViewerCloseReason): void;
  info(): ViewerInfo;
  once(event: 'close', listener: (reason: ViewerCloseReason) => void): unknown;
}

/**
 * Fans the live stream out: holds the init header and the newest GOPs, starts new viewers at the
 * latest keyframe, and hands every cluster to every live viewer as soon as it is complete.
 *
 * Events: 'viewers' (ViewerInfo[]) when a viewer joins or leaves; 'viewer-closed' (meta, reason).
 */
export class Publisher extends EventEmitter {
  private readonly options: PublisherOptions;
  private readonly ring: SegmentRing;
  /** Consumers that are not HTTP viewers (a recording, a push): fed the same way, never counted as viewers. */
  private readonly outputs = new Set<Viewer>();
  private readonly viewers = new Map<string, LiveViewer>();
  /** Connected viewers per remote address, for a cap per address. */
  private readonly perAddress = new Map<string, number>();
  private initHeader: InitHeader | null = null;
  private ended = false;
  private recent: { atMs: number; bytes: number; videoFrames: number }[] = [];
  private droppedCount = 0;
  private viewersEventPending = false;
  /** Fan-out times of the last clusters (ms from arrival to the last viewer's write), a ring. */
  private readonly fanoutMs = new Float64Array(512);
  private fanoutCount = 0;

  constructor(options: Partial<PublisherOptions> = {}) {
    super();
    this.options = { ...DEFAULT_PUBLISHER_OPTIONS, ...options };
    this.ring = new SegmentRing({
      maxSegments: this.options.fastStartSegments + 2,
      maxBytes: this.options.maxRingBytes,
    });
  }

  get header(): InitHeader | null {
    return this.initHeader;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * A header from the input. `restart` (the tracks changed) ends the current viewers' streams: their
   * players need the new header, which they get when they reconnect.
   */
  setHeader(header: InitHeader, change: 'first' | 'splice' | 'restart'): void {
    this.initHeader = header;
    if (change === 'restart') {
      this.ring.clear();
      for (const viewer of [...this.viewers.values(), ...this.outputs]) if (viewer.started) viewer.end();
    }
    // Viewers that connected before the first header have had nothing written yet.
    for (const viewer of [...this.viewers.values(), ...this.outputs])
      if (!viewer.started && !viewer.isClosed) viewer.start(header.bytes, []);
  }

  publish(cluster: LiveCluster): void {
    if (this.ended) return;
    this.ring.add(cluster);
    this.recent.push({
      atMs: cluster.arrivedMs,
      bytes: cluster.cluster.bytes.length,
      videoFrames: cluster.cluster.videoFrames ?? 0,
    });
    if (this.recent.length > 4096 || this.recent[0].atMs < cluster.arrivedMs - RATE_WINDOW_MS * 2) {
      this.recent = this.recent.filter((r) => r.atMs >= cluster.arrivedMs - RATE_WINDOW_MS);
    }
    for (const viewer of this.viewers.values()) viewer.push(cluster);
    for (const output of this.outputs) output.push(cluster);
    this.fanoutMs[this.fanoutCount++ % this.fanoutMs.length] = this.options.now() - cluster.arrivedMs;
  }

  /** Time from a cluster's arrival to its hand-over to every viewer's socket, over the last clusters. */
  fanout(): { p50Ms: number; p99Ms: number } {
    const n = Math.min(this.fanoutCount, this.fanoutMs.length);
    if (n === 0) return { p50Ms: 0, p99Ms: 0 };
    const sorted = Array.from(this.fanoutMs.subarray(0, n)).sort((a, b) => a - b);
    const at = (q: number): number => Math.round(sorted[Math.min(n - 1, Math.floor(q * n))] * 1000) / 1000;
    return { p50Ms: at(0.5), p99Ms: at(0.99) };
  }

  /** Attaches a viewer to `sink` (an HTTP response socket whose headers are already written). */
  addViewer(meta: ViewerMeta, sink: Writable, framing: Framing = 'close'): Viewer {
    const viewer = new Viewer(meta, sink, this.options.policy, this.options.now, framing);
    this.attach(meta, viewer);
    return viewer;
  }

  /** The clusters from the latest keyframe to now: what a viewer needs to show the picture at once. */
  currentGop(): LiveCluster[] {
    return this.ring.startBurst(0);
  }

  /** Adds a viewer on any transport: counted, fed and listed as an HTTP viewer is. */
  attach<V extends LiveViewer>(meta: ViewerMeta, viewer: V): V {
    this.viewers.set(meta.id, viewer);
    this.perAddress.set(meta.address, this.viewersFrom(meta.address) + 1);
    viewer.once('close', (reason: ViewerCloseReason) => {
      this.viewers.delete(meta.id);
      const left = this.viewersFrom(meta.address) - 1;
      if (left > 0) this.perAddress.set(meta.address, left);
      else this.perAddress.delete(meta.address);
      if (reason === 'too slow' || reason === 'stalled') this.droppedCount += 1;
      this.emit('viewer-closed', meta, reason);
      this.viewersChanged();
    });
    if (this.initHeader)
      viewer.start(this.initHeader.bytes, this.ring.startBurst(this.options.fastStartSegments));
    if (this.ended) viewer.end();
    this.viewersChanged();
    return viewer;
  }

  /**
   * One 'viewers' event per turn of the event loop, however many viewers joined or left in it: a
   * burst of 2000 joins would otherwise build the list 2000 times.
   */
  private viewersChanged(): void {
    if (this.viewersEventPending) return;
    this.viewersEventPending = true;
    setImmediate(() => {
      this.viewersEventPending = false;
      if (this.listenerCount('viewers') > 0) this.emit('viewers', this.viewerInfos());
    });
  }

  /**
   * Attaches an output (a recording's file, a push's ffmpeg stdin) to `sink`: it gets the stream as a
   * viewer does (the header, the current GOP from its keyframe, timestamps from 0, a 'restart' header
   * ends it), but is not a viewer: not listed, not counted under --max-viewers, not closed by closeAll().
   * Its owner closes it; `policy` decides what its queue may hold.
   */
  addOutput(meta: ViewerMeta, sink: Writable, policy: ViewerPolicy): Viewer {
    const output = new Viewer(meta, sink, policy, this.options.now, 'close');
    this.outputs.add(output);
    output.once('close', () => this.outputs.delete(output));
    if (this.initHeader) output.start(this.initHeader.bytes, this.ring.startBurst(0));
    if (this.ended) output.end();
    return output;
  }

  get outputCount(): number {
    return this.outputs.size;
  }

  kick(id: string): boolean {
    const viewer = this.viewers.get(id);
    if (!viewer) return false;
    viewer.close('kicked');
    return true;
  }

  /** The input ended: every viewer gets the rest of its queue, then a clean end of stream. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const viewer of [...this.viewers.values(), ...this.outputs]) viewer.end();
  }

  /** Drops every viewer now (server shutdown). */
  closeAll(reason: ViewerCloseReason = 'server stopped'): void {
    for (const viewer of [...this.viewers.values()]) viewer.close(reason);
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** Viewers connected from `address` right now. */
  viewersFrom(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  viewerInfos(): ViewerInfo[] {
    return [...this.viewers.values()].map((v) => v.info());
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /**
   * Input rates over the last few seconds: bits per second, and video frames (blocks of a video track)
   * per second. Not clusters: a cluster may hold one frame or several (ffmpeg's 40 ms clusters hold two
   * frames of a 30 fps stream about half the time, which read as 16 "fps"), and none of the audio.
   * Frames are counted after the first cluster of the window, over the time since it arrived.
   */
  rates(): { bitrateKbps: number; fps: number } {
    const nowMs = this.options.now();
    const windowed = this.recent.filter((r) => r.atMs >= nowMs - RATE_WINDOW_MS);
    if (windowed.length < 2) return { bitrateKbps: 0, fps: 0 };
    const spanMs = Math.max(nowMs - windowed[0].atMs, 1);
    const bytes = windowed.reduce((sum, r) => sum + r.bytes, 0);
    const frames = windowed.reduce((sum, r) => sum + r.videoFrames, 0) - windowed[0].videoFrames;
    return {
      bitrateKbps: Math.round((bytes * 8) / spanMs),
      fps: Math.round((frames * 10000) / spanMs) / 10,
    };
  }

  segments(): { held: number; bytes: number; keyframeIntervalMs: number } {
    return {
      held: this.ring.held,
      bytes: this.ring.bytes,
      keyframeIntervalMs: Math.round(this.ring.keyframeIntervalMs),
    };
  }
}
