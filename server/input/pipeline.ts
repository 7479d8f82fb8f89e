import { setTimeout as sleep } from 'node:timers/promises';
import { MatroskaError } from '../matroska/errors.js';
import { feedRun, type FeedCounts } from '../stream/feed.js';
import type { Publisher } from '../stream/publisher.js';
import { Timeline, type LiveCluster } from '../stream/timeline.js';
import { InputError } from './errors.js';
import { Pacer } from './pacer.js';
import type { InputSource } from './sources.js';

export interface PipelineOptions {
  /** Open the input again when it ends (a file from its start); timestamps continue. */
  loop: boolean;
  /** Media read ahead of real time before pacing starts (paced inputs only). */
  leadMs: number;
  now: () => number;
  signal: AbortSignal;
  maxClusterBytes?: number;
  /** Called on the first cluster of each run of the input (it is live, or live again). */
  onLive?: () => void;
  /**
   * Each run waits for a new input to arrive (a TCP pusher): an empty run is someone who connected and
   * left, not an input without media, and looping cannot spin.
   */
  waitsForInput?: boolean;
  /** No byte from an open input for this long is a stall (default 5 s). */
  stallMs?: number;
  /** What happens to the stream, for the log and /status: see PipelineNotice. */
  onNotice?: (notice: PipelineNotice) => void;
}

/**
 * Changes of the input while it runs, each with its defined outcome:
 * - `stalled` / `resumed`: the input sent nothing for stallMs, then sent again; viewers stay connected.
 * - `restarted`: a new header with other tracks (a concatenated file, a new pusher with other settings):
 *   the viewers' streams end cleanly, since no player takes new tracks mid-stream; they open the
 *   link again to get the new header. A new header with the same tracks is spliced in silently.
 * - `run-ended`: one run of a looped input ended (a TCP pusher went away): the next run is awaited
 *   with the viewers connected. `truncated` says it stopped inside a cluster, which was dropped.
 * - `run-failed`: a run of an input that waits for each run (TCP) sent something unreadable; it is
 *   dropped and the next pusher awaited, so that no pusher can stop the server.
 * - `discontinuity`: the input's timestamps jumped by `jumpMs` (see Timeline); the stream went on one
 *   frame after the previous one.
 */
export type PipelineNotice =
  | { kind: 'stalled'; silentMs: number }
  | { kind: 'resumed'; silentMs: number }
  | { kind: 'restarted'; viewersEnded: number }
  | { kind: 'run-ended'; truncated: boolean }
  | { kind: 'run-failed'; message: string }
  | { kind: 'discontinuity'; jumpMs: number };

const DEFAULT_STALL_MS = 5000;

/**
 * Reads the input, run after run when looping: bytes → MatroskaReader → Timeline → (Pacer) →
 * Publisher, each run through feedRun. Resolves when the input ends (the publisher is then ended) or the signal aborts; rejects
 * with the reader's or the source's error.
 */
export async function runPipeline(
  source: InputSource,
  publisher: Publisher,
  options: PipelineOptions,
): Promise<void> {
  const { signal, now } = options;
  const timeline = new Timeline();
  const pacer = source.paced ? new Pacer(options.leadMs, now) : null;
  let live = false;

  const notify = options.onNotice ?? (() => {});
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  let lastByteMs = now();
  let stalled = false;
  /** Between the first byte of a run and its end: a stall can only happen then. */
  let reading = false;
  // Checked on a timer: a silent input never wakes the read loop up.
  const stallCheck = setInterval(
    () => {
      if (!live || !reading || stalled || now() - lastByteMs < stallMs) return;
      stalled = true;
      notify({ kind: 'stalled', silentMs: now() - lastByteMs });
    },
    Math.max(50, Math.min(1000, stallMs / 4)),
  );
  stallCheck.unref();

  const pace = pacer
    ? async (cluster: LiveCluster): Promise<void> => {
        const waitMs = pacer.delayMs(cluster.tsMs);
        if (waitMs > 0) await sleep(waitMs, undefined, { signal }).catch(() => {});
      }
    : undefined;

  /** One run of the input to its end; the clusters it published, and whether it stopped inside one. */
  const readRun = async (): Promise<{ clusters: number; bytes: number; truncated: boolean }> => {
    const counts: FeedCounts = { clusters: 0, bytes: 0 };
    try {
      await feedRun(
        source.open(signal),
        timeline,
        publisher,
        {
          now,
          signal,
          maxClusterBytes: options.maxClusterBytes,
          finish: true,
          pace,
          onChunk: () => {
            if (stalled) {
              stalled = false;
              notify({ kind: 'resumed', silentMs: now() - lastByteMs });
            }
            lastByteMs = now();
            reading = true;
          },
          onHeader: (change, viewersEnded) => {
            if (change === 'restart') notify({ kind: 'restarted', viewersEnded });
          },
          onDiscontinuity: (jumpMs) => notify({ kind: 'discontinuity', jumpMs }),
          onFirstCluster: () => {
            live = true;
            options.onLive?.();
          },
        },
        counts,
      );
      return { ...counts, truncated: false };
    } catch (error) {
      // A looped input (a pusher killed mid-write) may stop inside a cluster: that cluster is
      // dropped and the next run is awaited. A single run's truncation is an error, as before.
      if (options.loop && live && error instanceof MatroskaError && error.code === 'TRUNCATED') {
        return { ...counts, truncated: true };
      }
      throw error;
    } finally {
      reading = false;
      stalled = false;
    }
  };

  try {
    do {
      let run: { clusters: number; bytes: number; truncated: boolean };
      try {
        run = await readRun();
      } catch (error) {
        // A pusher that sent something broken is dropped; the next one is awaited.
        if (!options.waitsForInput || signal.aborted) throw error;
        notify({ kind: 'run-failed', message: error instanceof Error ? error.message : String(error) });
        continue;
      }
      if (signal.aborted) break;
      if (options.waitsForInput) {
        notify({ kind: 'run-ended', truncated: run.truncated });
        continue;
      }
      if (run.bytes === 0 && !(options.loop && live)) {
        // Said here, where the input is known, rather than as the reader's "ended before any byte".
        throw new InputError(
          'NO_MEDIA',
          `Nothing came from ${source.description}.`,
          'Send it a stream, e.g. ffmpeg -i INPUT -c copy -f matroska - | mkvcast serve -',
        );
      }
      if (run.clusters === 0) {
        // An input that ends without a single frame: looping it would spin.
        if (!options.loop || !live) {
          throw new InputError(
            'NO_MEDIA',
            `${source.description} has no video or audio frames.`,
            'Check the input.',
          );
        }
        break;
      }
      if (options.loop) notify({ kind: 'run-ended', truncated: run.truncated });
    } while (options.loop && !signal.aborted);
  } catch (error) {
    // Stopping destroys the pipes the input reads from; what they throw then is not a failure.
    if (!signal.aborted) throw error;
  } finally {
    clearInterval(stallCheck);
    await source.close();
  }
  publisher.end();
}
