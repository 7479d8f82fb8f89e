import type { PushInfo, PushState } from '../api.js';
import { FfmpegChild } from '../ffmpeg/child.js';
import type { Publisher } from '../stream/publisher.js';
import type { Viewer, ViewerPolicy } from '../stream/viewer.js';
import { pushArgs, redact, type PushTarget } from './push-target.js';

/**
 * A push is a viewer that may wait a while: ffmpeg reads its stdin only once the target has taken the
 * connection. One that stays blocked longer than this is dropped and reconnected.
 */
export const PUSH_POLICY: ViewerPolicy = {
  maxLagMs: 5000,
  maxQueueBytes: 32 * 1024 * 1024,
  maxStalledSkips: 3,
  maxSkipsPerMinute: 10,
  maxUnreadMs: 15_000,
};

/** Waits before reconnecting after the 1st, 2nd, … failure in a row (the last one repeats). */
export const PUSH_BACKOFF_MS: readonly number[] = [500, 1000, 2000, 4000, 8000];
/** A run that sent for this long ends the row of failures. */
const HEALTHY_RUN_MS = 10_000;
const RATE_WINDOW_MS = 3000;

export interface PushOptions {
  ffmpeg: () => string;
  /** One line for people (`problem`: shown even by --quiet). */
  onNotice?: (message: string, problem?: boolean) => void;
  backoffMs?: readonly number[];
  now?: () => number;
}

/**
 * `--push URL`: a supervised `ffmpeg -c copy` child fed from the publisher on its stdin (the header, then
 * live clusters from a keyframe, as a viewer), started again with backoff whenever it ends while the
 * stream goes on (the target went away, refused, the child was killed).
 */
export class Push {
  private state: PushState = 'connecting';
  private child: FfmpegChild | null = null;
  private output: Viewer | null = null;
  private runs = 0;
  private failuresInARow = 0;
  private bytesBefore = 0;
  private lastError: string | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private wakeRetry: (() => void) | null = null;
  private samples: { atMs: number; bytes: number }[] = [];
  private readonly running: Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly publisher: Publisher,
    readonly target: PushTarget,
    private readonly options: PushOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.running = this.loop();
  }

  info(): PushInfo {
    const bytesSent = this.bytesSent();
    const nowMs = this.now();
    this.samples.push({ atMs: nowMs, bytes: bytesSent });
    this.samples = this.samples.filter((s) => s.atMs >= nowMs - RATE_WINDOW_MS);
    const first = this.samples[0];
    const spanMs = nowMs - first.atMs;
    return {
      target: this.target.shown,
      sends: this.target.sends,
      state: this.state,
      bitrateKbps: spanMs > 500 ? Math.round(((bytesSent - first.bytes) * 8) / spanMs) : 0,
      bytesSent,
      runs: this.runs,
      lastError: this.lastError,
    };
  }

  /** A copy of the stream going out now (for the upload). */
  get isSending(): boolean {
    return this.state === 'live';
  }

  /** Ends the push: ffmpeg gets the end of the stream, then is stopped. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    this.output?.end();
    const child = this.child;
    if (child) {
      const exited = await Promise.race([
        child.exited.then(() => true).catch(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000).unref()),
      ]);
      if (!exited) await child.stop(500);
    }
    await this.running;
    this.state = 'stopped';
  }

  private bytesSent(): number {
    return this.bytesBefore + (this.output?.info().bytesSent ?? 0);
  }

  private say(message: string, problem = false): void {
    this.options.onNotice?.(message, problem);
  }

  private async loop(): Promise<void> {
    while (!this.stopped && !this.publisher.isEnded) {
      const startedMs = this.now();
      const { reason, newHeader } = await this.runOnce();
      if (this.stopped || this.publisher.isEnded) break;
      if (newHeader) {
        // Not a failure: the target gets the new stream (a new picture size) from its header, at once.
        this.say(
          `Push to ${this.target.shown}: the stream's tracks changed; it starts again with the new header.`,
        );
        continue;
      }
      const ranMs = this.now() - startedMs;
      this.failuresInARow = ranMs >= HEALTHY_RUN_MS ? 1 : this.failuresInARow + 1;
      const backoff = this.options.backoffMs ?? PUSH_BACKOFF_MS;
      const delayMs = backoff[Math.min(this.failuresInARow, backoff.length) - 1] ?? 0;
      this.lastError = reason;
      this.state = 'retrying';
      this.say(
        `Push to ${this.target.shown} stopped (${reason}); trying again in ${(delayMs / 1000).toFixed(1)} s.`,
        true,
      );
      await new Promise<void>((resolve) => {
        this.wakeRetry = resolve;
        this.retryTimer = setTimeout(resolve, delayMs);
      });
      this.retryTimer = null;
      this.wakeRetry = null;
    }
    this.state = 'stopped';
  }

  /**
   * One ffmpeg: resolves with why it ended (redacted), and whether it was because a header with other
   * tracks ended its feed (the publisher ends every output then).
   */
  private async runOnce(): Promise<{ reason: string; newHeader: boolean }> {
    this.runs += 1;
    this.state = 'connecting';
    let child: FfmpegChild;
    try {
      child = new FfmpegChild(this.options.ffmpeg(), pushArgs(this.target), { stdin: 'media' });
    } catch (error) {
      return { reason: redact((error as Error).message, this.target), newHeader: false };
    }
    this.child = child;
    let progress = '';
    let headerBytes: number | null = null;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      progress = (progress + text).slice(-512);
      // total_size counts what the muxer has written to the target.
      const sizes = [...progress.matchAll(/total_size=(\d+)/g)];
      const size = Number(sizes.at(-1)?.[1] ?? 0);
      // The first size counted is the header; a larger one means clusters reach the target.
      headerBytes ??= size > 0 ? size : null;
      if (headerBytes !== null && size > headerBytes && this.state === 'connecting') {
        this.state = 'live';
        if (this.runs > 1) this.say(`Push to ${this.target.shown} is back.`);
      }
    });
    const output = this.publisher.addOutput(
      { id: `push-${this.target.shown}`, address: 'local', client: 'push', userAgent: '' },
      child.stdin,
      PUSH_POLICY,
    );
    this.output = output;
    let feedEnded = false;
    const closed = new Promise<string>((resolve) =>
      output.once('close', (reason: string) => {
        feedEnded = reason === 'stream ended';
        resolve(reason);
      }),
    );
    const exit = await Promise.race([
      child.exited.catch((error: Error) => ({ code: null, signal: null, stderrTail: error.message })),
      closed.then(async (reason) => {
        // The feed ended (the stream ended, or ffmpeg stopped reading): give ffmpeg a moment, then stop it.
        if (reason !== 'stream ended') await child.stop(1000);
        return child.exited.catch((error: Error) => ({
          code: null,
          signal: null,
          stderrTail: error.message,
        }));
      }),
    ]);
    output.close('server stopped');
    this.bytesBefore += output.info().bytesSent;
    this.output = null;
    this.child = null;
    const lastLine = exit.stderrTail.split('\n').filter(Boolean).pop();
    const why =
      lastLine ?? (exit.signal ? `ffmpeg was ended by ${exit.signal}` : `ffmpeg exited with ${exit.code}`);
    const newHeader = feedEnded && !this.stopped && !this.publisher.isEnded;
    return { reason: redact(why, this.target), newHeader };
  }
}
