/**
 * Paces a file-like input in real time by cluster timestamps, after reading the first `leadMs` of
 * media as fast as it comes (so the segment ring holds a keyframe for the first viewers at once). A
 * live input that falls behind is never made to catch up in a burst: the schedule moves instead.
 * Nor does a jump forward put it to sleep: a wait longer than `maxWaitMs` (a timestamp gap that the
 * Timeline let through) moves the schedule so that the cluster is due now, so one sleep is never
 * longer than that and the input is read again within seconds whatever its timestamps say.
 */
export class Pacer {
  private originWallMs: number | null = null;
  private originTsMs = 0;

  constructor(
    private readonly leadMs: number,
    private readonly now: () => number,
    /** Behind schedule by more than this (a stalled source): restart the schedule from here. */
    private readonly resyncMs = 1000,
    /** The longest wait for one cluster; a longer one is a jump in the timestamps, not media time. */
    readonly maxWaitMs = 3000,
  ) {}

  /** How long to wait before publishing the cluster at `tsMs` (0: now; never more than maxWaitMs). */
  delayMs(tsMs: number): number {
    const nowMs = this.now();
    if (this.originWallMs === null) {
      this.originWallMs = nowMs;
      this.originTsMs = tsMs;
    }
    const dueMs = this.originWallMs + (tsMs - this.originTsMs) - this.leadMs;
    const behind = dueMs < nowMs - this.resyncMs && tsMs - this.originTsMs > this.leadMs;
    if (behind || dueMs - nowMs > this.maxWaitMs) {
      // Rebase so that this cluster is due now, keeping the lead.
      this.originWallMs = nowMs + this.leadMs;
      this.originTsMs = tsMs;
      return 0;
    }
    return Math.max(0, dueMs - nowMs);
  }
}
