import { MatroskaReader } from '../matroska/reader.js';
import type { ReaderEvent } from '../matroska/types.js';
import type { Publisher } from './publisher.js';
import type { LiveCluster, Timeline } from './timeline.js';

/** What a header did to the stream, as the Timeline decides it. */
export type HeaderChange = ReturnType<Timeline['onHeader']>;

/** What one run of an input did, counted as it goes: a caller that catches a run's error still has them. */
export interface FeedCounts {
  clusters: number;
  bytes: number;
}

export interface FeedOptions {
  now: () => number;
  /** Stops reading between chunks and between clusters. */
  signal?: AbortSignal;
  maxClusterBytes?: number;
  /**
   * Read the end of the stream once the chunks end: an input that stops inside a cluster throws
   * TRUNCATED. Off for an encoder that is stopped or killed, whose last partial cluster is just dropped.
   */
  finish: boolean;
  /** Each chunk as it arrives, before its bytes are read (watchdogs, stall checks). */
  onChunk?: (chunk: Buffer) => void;
  /** Resolves when the cluster may go out (pacing a file at its own speed); skipped when absent. */
  pace?: (cluster: LiveCluster) => Promise<void>;
  /** A header reached the publisher; `viewersEnded` were cut off when its tracks differ. */
  onHeader?: (change: HeaderChange, viewersEnded: number) => void;
  /** The run's first cluster went out. */
  onFirstCluster?: () => void;
  /** The input's timestamps jumped by `jumpMs` (see Timeline's DISCONTINUITY_MS); said once a jump. */
  onDiscontinuity?: (jumpMs: number) => void;
}

/**
 * One run of an input, from its first byte to its last: bytes → MatroskaReader → Timeline → Publisher.
 * The screen capture loop (an ffmpeg encoder's stdout) and the CLI's input pipeline (a file, stdin, a
 * URL, a TCP pusher) both read through this; the Timeline outlives the run, so the next run of the same
 * input is spliced in. Rejects with the reader's error (not Matroska, a cluster over the cap) or the
 * chunks' own.
 */
export async function feedRun(
  chunks: AsyncIterable<Buffer>,
  timeline: Timeline,
  publisher: Publisher,
  options: FeedOptions,
  counts: FeedCounts = { clusters: 0, bytes: 0 },
): Promise<FeedCounts> {
  const { signal, now } = options;
  const reader = new MatroskaReader({ maxClusterBytes: options.maxClusterBytes });

  const handle = async (event: ReaderEvent): Promise<void> => {
    if (event.kind === 'header') {
      const change = timeline.onHeader(event.header);
      const viewersEnded = change === 'restart' ? publisher.viewerCount : 0;
      publisher.setHeader(event.header, change);
      options.onHeader?.(change, viewersEnded);
      return;
    }
    const cluster = timeline.place(event.cluster, now());
    if (cluster.jumpMs !== undefined) options.onDiscontinuity?.(cluster.jumpMs);
    if (options.pace) await options.pace(cluster);
    if (signal?.aborted) return;
    cluster.arrivedMs = now();
    publisher.publish(cluster);
    counts.clusters += 1;
    if (counts.clusters === 1) options.onFirstCluster?.();
  };

  for await (const chunk of chunks) {
    counts.bytes += chunk.length;
    options.onChunk?.(chunk);
    for (const event of reader.push(chunk)) {
      if (signal?.aborted) return counts;
      await handle(event);
    }
    if (signal?.aborted) return counts;
  }
  if (options.finish && !signal?.aborted && counts.bytes > 0) {
    for (const event of reader.end()) await handle(event);
  }
  return counts;
}
