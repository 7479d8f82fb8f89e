import { setTimeout as sleep } from 'node:timers/promises';
import { MatroskaReader } from '../matroska/reader.js';
import type { ReaderEvent } from '../matroska/types.js';
import type { Publisher } from '../stream/publisher.js';
import { Timeline } from '../stream/timeline.js';
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
  /** Called on each new header and on the first cluster (the input is live). */
  onLive?: () => void;
}

/**
 * Reads the input, run after run when looping: bytes → MatroskaReader → Timeline → (Pacer) →
 * Publisher. Resolves when the input ends (the publisher is then ended) or the signal aborts; rejects
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

  const handle = async (event: ReaderEvent): Promise<number> => {
    if (event.kind === 'header') {
      publisher.setHeader(event.header, timeline.onHeader(event.header));
      return 0;
    }
    const cluster = timeline.place(event.cluster, now());
    const waitMs = pacer ? pacer.delayMs(cluster.tsMs) : 0;
    if (waitMs > 0) await sleep(waitMs, undefined, { signal }).catch(() => {});
    if (signal.aborted) return 0;
    cluster.arrivedMs = now();
    publisher.publish(cluster);
    if (!live) {
      live = true;
      options.onLive?.();
    }
    return 1;
  };

  try {
    do {
      const reader = new MatroskaReader({ maxClusterBytes: options.maxClusterBytes });
      let clusters = 0;
      let bytes = 0;
      for await (const chunk of source.open(signal)) {
        bytes += chunk.length;
        for (const event of reader.push(chunk)) clusters += await handle(event);
        if (signal.aborted) break;
      }
      if (signal.aborted) break;
      if (bytes === 0 && (!options.loop || !live)) {
        // Said here, where the input is known, rather than as the reader's "ended before any byte".
        throw new InputError(
          'NO_MEDIA',
          `Nothing came from ${source.description}.`,
          'Send it a stream, e.g. ffmpeg -i INPUT -c copy -f matroska - | mkvcast serve -',
        );
      }
      if (bytes > 0) for (const event of reader.end()) clusters += await handle(event);
      if (clusters === 0) {
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
    } while (options.loop && !signal.aborted);
  } catch (error) {
    // Stopping destroys the pipes the input reads from; what they throw then is not a failure.
    if (!signal.aborted) throw error;
  } finally {
    await source.close();
  }
  publisher.end();
}
