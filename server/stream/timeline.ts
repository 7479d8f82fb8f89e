import type { Cluster, InitHeader } from '../matroska/types.js';

/** A cluster placed on the server's continuous timeline, shared by every viewer. */
export interface LiveCluster {
  cluster: Cluster;
  /** `cluster.bytes` after the Timestamp element: the part every viewer gets as is. */
  body: Buffer;
  /** Timestamp on the continuous timeline, in the header's TimestampScale units. */
  ts: number;
  /** Same, in milliseconds. */
  tsMs: number;
  /** Distance to the previous cluster on the timeline (units); what a viewer adds after a skip. */
  gapBefore: number;
  keyframe: boolean;
  /** When it reached the server (ms, from the injected clock). */
  arrivedMs: number;
  /** Rewritten cluster heads by output timestamp (negative keys: chunk-framed), shared by the viewers that need the same one. */
  prefixes?: Map<number, Buffer>;
  /**
   * Set on the first cluster after a discontinuity: how far the input's timestamps jumped (ms, negative
   * when back). The timeline itself went on one frame gap after the previous cluster.
   */
  jumpMs?: number;
  /** The same cluster without its leading frames, for viewers that start at it (see Cluster.leadingBlocks). */
  entry?: LiveCluster;
}

export function sameTracks(a: InitHeader, b: InitHeader): boolean {
  return (
    a.docType === b.docType &&
    a.timestampScaleNs === b.timestampScaleNs &&
    JSON.stringify(a.tracks) === JSON.stringify(b.tracks)
  );
}

const DEFAULT_GAP_MS = 33;

/**
 * A step between two clusters of one run larger than this, forward or back, is a discontinuity, not
 * media time: a muxer's clock that jumped (one cluster at +2^40 ms in a push), a file cut from two
 * recordings (a one-day gap), a pusher's counter that wrapped. Kept as it is, a jump forward pins
 * every later cluster to the outlier (the "never go back" rule) and freezes players and the pacer for
 * as long as the jump; so the timeline goes on one frame gap after the previous cluster instead. A
 * real input never has such a step inside one run: frames (or audio packets) come every few tens of
 * ms, and a capture that stalls restarts as a new run, which is spliced the same way.
 */
export const DISCONTINUITY_MS = 5000;

/**
 * Maps the input's cluster timestamps onto one timeline that never goes back: when the input starts
 * again (a looped file, a restarted encoder) with the same tracks, its timestamps continue where the
 * previous run stopped, so viewers keep playing without reconnecting.
 */
export class Timeline {
  private header: InitHeader | null = null;
  private generationOffset = 0;
  private newGeneration = false;
  private lastTs: number | null = null;
  /**
   * The latest block time placed so far (a cluster's blocks may run past its Timestamp: audio after the
   * video, frames of a 40 ms cluster): a splice or a discontinuity continues after it, or the stream's
   * block times would go back and players' demuxers report non-monotonic DTS.
   */
  private lastEndTs = 0;
  private lastGap = 0;

  /**
   * Starts a new run of the input. Returns `'splice'` when the tracks match the previous header (viewers
   * can go on), `'restart'` when they differ (viewers need the new header), `'first'` the first time.
   */
  onHeader(header: InitHeader): 'first' | 'splice' | 'restart' {
    const previous = this.header;
    this.header = header;
    this.newGeneration = true;
    if (!previous) return 'first';
    if (sameTracks(previous, header)) return 'splice';
    this.lastTs = null;
    this.lastEndTs = 0;
    this.generationOffset = 0;
    return 'restart';
  }

  get current(): InitHeader | null {
    return this.header;
  }

  place(cluster: Cluster, arrivedMs: number): LiveCluster {
    const header = this.header;
    if (!header) throw new Error('Timeline.place called before a header');
    const unitsPerMs = 1e6 / header.timestampScaleNs;
    if (this.newGeneration) {
      this.newGeneration = false;
      if (this.lastTs !== null) {
        // Continue one frame gap after the last cluster of the previous run.
        this.generationOffset = this.lastEndTs + this.frameGap(unitsPerMs) - cluster.timestamp;
      } else {
        this.generationOffset = 0;
      }
    }
    let ts = cluster.timestamp + this.generationOffset;
    let jumpMs: number | undefined;
    if (this.lastTs !== null && Math.abs(ts - this.lastTs) > DISCONTINUITY_MS * unitsPerMs) {
      jumpMs = (ts - this.lastTs) / unitsPerMs;
      const gap = this.frameGap(unitsPerMs);
      this.generationOffset = this.lastEndTs + gap - cluster.timestamp;
      ts = this.lastEndTs + gap;
    }
    if (this.lastTs !== null && ts < this.lastTs) ts = this.lastTs; // never go back in time
    const gapBefore = this.lastTs === null ? 0 : ts - this.lastTs;
    if (gapBefore > 0) this.lastGap = gapBefore;
    this.lastTs = ts;
    this.lastEndTs = Math.max(this.lastEndTs, ts + Math.max(0, cluster.lastBlockOffset));
    const placed: LiveCluster = {
      cluster,
      body: cluster.bytes.subarray(cluster.timestampEnd),
      ts,
      tsMs: ts / unitsPerMs,
      gapBefore: gapBefore > 0 ? gapBefore : this.lastGap,
      keyframe: cluster.keyframe,
      arrivedMs,
    };
    if (jumpMs !== undefined) placed.jumpMs = jumpMs;
    return placed;
  }

  /** The last step between two clusters (units), or one frame at 30 fps before there is one. */
  private frameGap(unitsPerMs: number): number {
    return this.lastGap > 0 ? this.lastGap : Math.round(DEFAULT_GAP_MS * unitsPerMs);
  }
}
