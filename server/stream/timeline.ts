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
  /**
   * The output timestamp (units) that a viewer starting at this cluster gives it: more than the largest
   * step back between clusters seen so far, so that no later block of that viewer goes below 0.
   * Absent: 0 (hand-built clusters in tests).
   */
  entryOffset?: number;
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
 * Where a viewer's stream starts (ms), at least. Cluster timestamps do go back a little: ffmpeg's live
 * Matroska of H.264 with B-frames and AAC (x264 defaults, any mp4 from a phone or an editor) interleaves
 * by decode time, so a cluster that starts with a P-frame at 123 ms is followed by one that starts
 * with audio at 69 ms (`ffmpeg -i av.mp4 -c copy -f matroska -live 1 -cluster_time_limit 40`; its own
 * first cluster is at 23 ms, the AAC priming, so that nothing is below 0). Clamping such a cluster to
 * the one before moved its audio blocks onto the next ones ("non monotonically increasing dts to muxer
 * in stream 1: 5424 >= 5424" in 2 of 16 random joins, test/timestamps.test.ts), and starting a
 * viewer's keyframe at 0 would put the audio that follows it below 0. So the timeline keeps the steps
 * back, and a viewer's first keyframe starts at this offset (about where ffmpeg's own muxer puts the
 * first keyframe of x264's defaults: two B-frames of reorder delay and a margin; still "near 0" for
 * browsers, which freeze on a start at 62 s), or at twice the largest step back seen (a margin for
 * blocks with negative relative times, such as AAC's first frame at -23 ms) when that is larger.
 */
export const MIN_ENTRY_OFFSET_MS = 80;

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
  /** The largest step back from the latest cluster Timestamp to a later cluster's (units). */
  private maxStepBack = 0;

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
    this.maxStepBack = 0;
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
    if (this.lastTs !== null && ts < this.lastTs) {
      // Kept as it is (see MIN_ENTRY_OFFSET_MS); below 0 it cannot be written.
      this.maxStepBack = Math.max(this.maxStepBack, this.lastTs - ts);
      ts = Math.max(0, ts);
    }
    const gapBefore = this.lastTs === null ? 0 : ts - this.lastTs;
    if (gapBefore > 0) this.lastGap = gapBefore;
    this.lastTs = this.lastTs === null ? ts : Math.max(this.lastTs, ts);
    this.lastEndTs = Math.max(this.lastEndTs, ts + Math.max(0, cluster.lastBlockOffset));
    const placed: LiveCluster = {
      cluster,
      body: cluster.bytes.subarray(cluster.timestampEnd),
      ts,
      tsMs: ts / unitsPerMs,
      gapBefore: gapBefore > 0 ? gapBefore : this.lastGap,
      keyframe: cluster.keyframe,
      arrivedMs,
      entryOffset: Math.max(Math.round(MIN_ENTRY_OFFSET_MS * unitsPerMs), 2 * this.maxStepBack),
    };
    if (jumpMs !== undefined) placed.jumpMs = jumpMs;
    return placed;
  }

  /** The last step between two clusters (units), or one frame at 30 fps before there is one. */
  private frameGap(unitsPerMs: number): number {
    return this.lastGap > 0 ? this.lastGap : Math.round(DEFAULT_GAP_MS * unitsPerMs);
  }
}
