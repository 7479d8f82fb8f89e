/**
 * One WebRTC viewer's send queue, paced: RTP packets go out at most `rateBytesPerSec` with bursts of
 * at most `burstBytes`, so that a catch-up GOP (hundreds of kilobytes at 720p) is not thrown at the
 * receiver's socket in one go, where its buffer would drop most of it. The queue is bounded: when
 * its oldest packet has waited longer than `maxLagMs`, or it holds more than `maxQueueBytes`, it is
 * emptied and the viewer waits for the next keyframe (a skip), as an HTTP viewer that falls behind
 * does. Pure: the caller gives the time and sends what `take` returns; each viewer has its own pacer,
 * so one slow viewer never delays another.
 */
import type { RtpOut } from './rtp-timeline.js';

export interface PacerOptions {
  rateBytesPerSec: number;
  burstBytes: number;
  maxLagMs: number;
  maxQueueBytes: number;
}

export const DEFAULT_PACER_OPTIONS: PacerOptions = {
  // 50 Mbit/s: above any screen's stream, below a LAN's link; a 500 kB catch-up GOP takes 80 ms.
  rateBytesPerSec: 6_250_000,
  // Well under Linux's default 208 kB socket receive buffer.
  burstBytes: 64 * 1024,
  maxLagMs: 1000,
  maxQueueBytes: 4 * 1024 * 1024,
};

interface Queued {
  packet: RtpOut;
  atMs: number;
}

export class RtpPacer {
  private readonly queue: Queued[] = [];
  private head = 0;
  private queuedBytes = 0;
  private budget: number;
  private lastMs: number;
  private skipCount = 0;

  constructor(
    private readonly options: PacerOptions,
    nowMs: number,
  ) {
    this.budget = options.burstBytes;
    this.lastMs = nowMs;
  }

  /**
   * Queues packets made at `nowMs`. False when the queue overflowed (too old or too big): it was
   * emptied, these packets dropped too, and the caller must wait for a keyframe.
   */
  add(packets: RtpOut[], nowMs: number): boolean {
    for (const packet of packets) {
      this.queue.push({ packet, atMs: nowMs });
      this.queuedBytes += packet.payload.length;
    }
    if (this.queuedBytes > this.options.maxQueueBytes || this.lagMs(nowMs) > this.options.maxLagMs) {
      this.clear();
      this.skipCount += 1;
      return false;
    }
    return true;
  }

  /** The packets that may go out now, oldest first. */
  take(nowMs: number): RtpOut[] {
    const elapsed = Math.max(0, nowMs - this.lastMs);
    this.lastMs = nowMs;
    this.budget = Math.min(
      this.options.burstBytes,
      this.budget + (elapsed * this.options.rateBytesPerSec) / 1000,
    );
    const out: RtpOut[] = [];
    while (this.head < this.queue.length) {
      const size = this.queue[this.head].packet.payload.length;
      // One packet may overdraw the budget (a packet bigger than a burst must still go).
      if (this.budget <= 0) break;
      this.budget -= size;
      this.queuedBytes -= size;
      out.push(this.queue[this.head].packet);
      this.head += 1;
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return out;
  }

  /** Ms until `take` can send something, or null when the queue is empty. */
  waitMs(): number | null {
    if (this.head >= this.queue.length) return null;
    if (this.budget > 0) return 0;
    return Math.ceil((-this.budget * 1000) / this.options.rateBytesPerSec) + 1;
  }

  /** How long the oldest queued packet has waited. */
  lagMs(nowMs: number): number {
    return this.head < this.queue.length ? Math.max(0, nowMs - this.queue[this.head].atMs) : 0;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  get skips(): number {
    return this.skipCount;
  }

  clear(): void {
    this.queue.length = 0;
    this.head = 0;
    this.queuedBytes = 0;
  }
}
