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
 * Maps the input's cluster timestamps onto one timeline that never goes back: when the input starts
 * again (a looped file, a restarted encoder) with the same tracks, its timestamps continue where the
 * previous run stopped, so viewers keep playing without reconnecting.
 */
export class Timeline {
  private header: InitHeader | null = null;
  private generationOffset = 0;
  private newGeneration = false;
  private lastTs: number | null = null;
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
        const gap = this.lastGap > 0 ? this.lastGap : Math.round(DEFAULT_GAP_MS * unitsPerMs);
        this.generationOffset = this.lastTs + gap - cluster.timestamp;
      } else {
        this.generationOffset = 0;
      }
    }
    let ts = cluster.timestamp + this.generationOffset;
    if (this.lastTs !== null && ts < this.lastTs) ts = this.lastTs; // never go back in time
    const gapBefore = this.lastTs === null ? 0 : ts - this.lastTs;
    if (gapBefore > 0) this.lastGap = gapBefore;
    this.lastTs = ts;
    return {
      cluster,
      body: cluster.bytes.subarray(cluster.timestampEnd),
      ts,
      tsMs: ts / unitsPerMs,
      gapBefore: gapBefore > 0 ? gapBefore : this.lastGap,
      keyframe: cluster.keyframe,
      arrivedMs,
    };
  }
}
