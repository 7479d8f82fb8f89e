import type { LiveCluster } from './timeline.js';

/** One GOP: clusters from a keyframe up to (not including) the next keyframe. */
export interface Segment {
  clusters: LiveCluster[];
  bytes: number;
  startTs: number;
  startMs: number;
  /** The GOP outgrew the byte cap: its clusters are no longer kept, so no viewer can start from it. */
  overflowed: boolean;
}

export interface RingOptions {
  /** Segments kept, counting the one being filled (at least 2). */
  maxSegments: number;
  /** Bytes kept across all segments; the oldest complete segments go first. */
  maxBytes: number;
}

/**
 * The newest GOP segments, bounded in count and bytes. A new viewer starts from the first cluster of
 * the newest segment (or an older one for a fast start). Clusters before the first keyframe are not
 * kept: nobody could start decoding from them.
 */
export class SegmentRing {
  private readonly segments: Segment[] = [];
  private totalBytes = 0;

  constructor(private readonly options: RingOptions) {}

  /** Adds a cluster; returns true when it started a new segment. */
  add(cluster: LiveCluster): boolean {
    const size = cluster.cluster.bytes.length;
    if (cluster.keyframe) {
      this.segments.push({
        clusters: [cluster],
        bytes: size,
        startTs: cluster.ts,
        startMs: cluster.tsMs,
        overflowed: false,
      });
      this.totalBytes += size;
      this.evict();
      return true;
    }
    const current = this.segments.at(-1);
    if (!current || current.overflowed) return false;
    current.clusters.push(cluster);
    current.bytes += size;
    this.totalBytes += size;
    this.evict();
    return false;
  }

  private evict(): void {
    const { maxSegments, maxBytes } = this.options;
    while (this.segments.length > Math.max(2, maxSegments)) this.dropOldest();
    while (this.totalBytes > maxBytes && this.segments.length > 1) this.dropOldest();
    const current = this.segments.at(-1);
    if (current && this.totalBytes > maxBytes) {
      // A single GOP larger than the whole cap (a stream with rare keyframes): stop holding it.
      this.totalBytes -= current.bytes;
      current.clusters = [];
      current.bytes = 0;
      current.overflowed = true;
    }
  }

  private dropOldest(): void {
    const oldest = this.segments.shift();
    if (oldest) this.totalBytes -= oldest.bytes;
  }

  /**
   * The clusters a new viewer gets at once: the current GOP from its keyframe, plus up to
   * `earlierSegments` complete GOPs before it. Empty when no keyframe is held yet.
   */
  startBurst(earlierSegments: number): LiveCluster[] {
    // Only a contiguous run ending at the newest segment: a gap would freeze the viewer's picture.
    const burst: Segment[] = [];
    for (let i = this.segments.length - 1; i >= 0 && burst.length <= Math.max(0, earlierSegments); i--) {
      if (this.segments[i].overflowed) break;
      burst.unshift(this.segments[i]);
    }
    return burst.flatMap((s) => s.clusters);
  }

  clear(): void {
    this.segments.length = 0;
    this.totalBytes = 0;
  }

  get held(): number {
    return this.segments.filter((s) => !s.overflowed).length;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Mean duration of the complete segments held, in ms (0 when fewer than two are held). */
  get keyframeIntervalMs(): number {
    if (this.segments.length < 2) return 0;
    const first = this.segments[0];
    const last = this.segments[this.segments.length - 1];
    return (last.startMs - first.startMs) / (this.segments.length - 1);
  }
}
