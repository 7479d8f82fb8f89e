/**
 * Who may push the input right now: one pusher at a time, over raw TCP or HTTP ingest alike. A pusher
 * keeps its place while it delivers complete clusters; one that has delivered none for `takeoverMs`
 * (its network went, or it trickles bytes to hold the place: one byte every 1.5 s never completes a
 * cluster) can be taken over by the next one. Any other newcomer is refused, with the time after which
 * it could take over. Pure: the clock is handed in, the connections are behind `drop()`.
 */

/** A pusher silent in clusters for this long may be replaced (a few GOPs of a live encoder). */
export const PUSH_TAKEOVER_MS = 3000;

/** Refusals are told at most this often (anyone can knock on a raw TCP port in a loop). */
export const REFUSAL_REPORT_INTERVAL_MS = 5000;

export interface Pusher {
  /** Where it pushes from, for the log. */
  readonly address: string;
  /** Ends its connection (it was taken over, or the server stops). */
  drop(): void;
}

export type PushEvent =
  | { kind: 'connected'; address: string }
  /** A pusher arrived after the previous one left (or was taken over). */
  | { kind: 'came-back'; address: string; awayMs: number }
  | { kind: 'taken-over'; address: string; by: string; silentMs: number }
  /** `alsoRefused`: refusals since the last one told, not told one by one. */
  | { kind: 'refused'; address: string; activeAddress: string; takeoverInMs: number; alsoRefused: number }
  | { kind: 'left'; address: string };

export type PushOffer =
  { accepted: true } | { accepted: false; activeAddress: string; takeoverInMs: number; takeoverMs: number };

export class PushSlot<P extends Pusher> {
  /** The pusher being read. */
  private current: P | null = null;
  /** The next one: it arrived between two runs, or took over; the next run reads it. */
  private successor: P | null = null;
  private waiter: ((pusher: P | null) => void) | null = null;
  /** When the current pusher started or last completed a cluster. */
  private lastClusterMs = 0;
  /** When the last pusher left; null before the first one. */
  private leftAtMs: number | null = null;
  private refusalReportDueMs = -Infinity;
  private refusalsUntold = 0;

  constructor(
    private readonly now: () => number,
    private readonly onEvent: (event: PushEvent) => void = () => {},
    readonly takeoverMs = PUSH_TAKEOVER_MS,
  ) {}

  /** A pusher arrives: it is read now or next, takes over from a pusher without clusters, or is refused. */
  offer(pusher: P): PushOffer {
    const now = this.now();
    const active = this.current ?? this.successor;
    if (!active) {
      this.greet(pusher, now);
      if (this.waiter) this.start(pusher, now);
      else this.successor = pusher;
      return { accepted: true };
    }
    const silentMs = now - this.lastClusterMs;
    if (this.current && !this.successor && silentMs >= this.takeoverMs) {
      const old = this.current;
      this.onEvent({ kind: 'taken-over', address: old.address, by: pusher.address, silentMs });
      this.successor = pusher;
      old.drop(); // its run ends, release() follows, and the next run reads the successor
      return { accepted: true };
    }
    const takeoverInMs = this.successor
      ? this.takeoverMs
      : Math.max(0, this.lastClusterMs + this.takeoverMs - now);
    if (now >= this.refusalReportDueMs) {
      const alsoRefused = this.refusalsUntold;
      this.refusalsUntold = 0;
      this.refusalReportDueMs = now + REFUSAL_REPORT_INTERVAL_MS;
      this.onEvent({
        kind: 'refused',
        address: pusher.address,
        activeAddress: active.address,
        takeoverInMs,
        alsoRefused,
      });
    } else {
      this.refusalsUntold += 1;
    }
    return { accepted: false, activeAddress: active.address, takeoverInMs, takeoverMs: this.takeoverMs };
  }

  /** The next pusher to read: the waiting successor, or the next to arrive; null when `signal` aborts. */
  next(signal: AbortSignal): Promise<P | null> {
    const now = this.now();
    if (this.successor) {
      const pusher = this.successor;
      this.successor = null;
      this.start(pusher, now);
      return Promise.resolve(pusher);
    }
    if (signal.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.waiter = null;
        resolve(null);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = (pusher) => {
        signal.removeEventListener('abort', onAbort);
        this.waiter = null;
        resolve(pusher);
      };
    });
  }

  /** `pusher` delivered a complete cluster: it keeps its place for another takeoverMs. */
  cluster(pusher: P): void {
    if (pusher === this.current) this.lastClusterMs = this.now();
  }

  /** `pusher`'s run is over (it ended, failed or was dropped). */
  release(pusher: P): void {
    if (pusher !== this.current) return;
    this.current = null;
    this.leftAtMs = this.now();
    this.onEvent({ kind: 'left', address: pusher.address });
  }

  /** Whether `pusher` was replaced by a newcomer (its run ended because of that). */
  replaced(pusher: P): boolean {
    return pusher === this.current && this.successor !== null;
  }

  /** The server stops: a waiting successor is dropped, a waiting next() gets null. Idempotent. */
  close(): void {
    this.successor?.drop();
    this.successor = null;
    this.waiter?.(null);
  }

  private start(pusher: P, now: number): void {
    this.current = pusher;
    this.lastClusterMs = now;
    this.waiter?.(pusher);
  }

  private greet(pusher: P, now: number): void {
    if (this.leftAtMs === null) this.onEvent({ kind: 'connected', address: pusher.address });
    else this.onEvent({ kind: 'came-back', address: pusher.address, awayMs: now - this.leftAtMs });
  }
}
