import type { Readable } from 'node:stream';
import { MatroskaReader } from '../matroska/reader.js';
import { PushSlot, type PushEvent, type PushOffer, type Pusher } from './push-slot.js';
import { sniffed } from './sniff.js';
import type { InputSource } from './sources.js';

/** One pushed connection: its bytes, where it comes from, and how it ends. */
export interface Push extends Pusher {
  readonly stream: Readable;
  /** Its run ended by itself (the pusher finished): a chance to answer it (HTTP 200). */
  finish(): void;
}

export interface PushSourceOptions {
  ffmpeg: () => string;
  now?: () => number;
  /** Pushers connecting, leaving, coming back, refused: for the log. */
  onPushEvent?: (event: PushEvent) => void;
  takeoverMs?: number;
}

/** Errors of a pusher's connection going away, which end its run like a clean end would. */
const CONNECTION_LOST = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

function connectionLost(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return CONNECTION_LOST.has(e.code ?? '') || e.message === 'aborted';
}

/**
 * An input fed by pushers, one at a time (see PushSlot): each run of the input is one pusher's
 * connection, sniffed (Matroska as is, anything else through ffmpeg). Its complete clusters are counted
 * here, on the way through, so that the slot knows who is really delivering: a second MatroskaReader,
 * since the pipeline's is out of reach behind InputSource. That costs little: the reader parsed a
 * 2.7 MB H.264 stream in 64 KiB chunks at a median 1758 MB/s on the shared test machine, so counting an
 * 8 Mbit/s push takes under 0.1% of a core. TcpSource and HttpIngestSource hand their connections to
 * offer().
 */
export abstract class PushSource implements InputSource {
  abstract readonly description: string;
  readonly paced = false;
  protected readonly slot: PushSlot<Push>;
  private lastAddress: string | null = null;

  constructor(private readonly pushOptions: PushSourceOptions) {
    this.slot = new PushSlot<Push>(
      pushOptions.now ?? (() => performance.now()),
      pushOptions.onPushEvent,
      pushOptions.takeoverMs,
    );
  }

  /** Where the last pusher pushed from (for "the pusher went away"). */
  get lastPusherAddress(): string | null {
    return this.lastAddress;
  }

  /** A pusher arrives; refused ones are the caller's to answer and close. */
  offer(push: Push): PushOffer {
    // A pusher that fails before it is read is simply gone; its run, if any, reports the rest.
    push.stream.on('error', () => {});
    return this.slot.offer(push);
  }

  async *open(signal: AbortSignal): AsyncGenerator<Buffer> {
    const push = await this.slot.next(signal);
    if (!push) return;
    this.lastAddress = push.address;
    const clusters = new MatroskaReader();
    let counting = true;
    let finished = false;
    try {
      for await (const chunk of sniffed(
        push.stream,
        this.pushOptions.ffmpeg,
        `the stream pushed to ${this.description}`,
        signal,
      )) {
        if (counting) {
          try {
            for (const event of clusters.push(chunk)) if (event.kind === 'cluster') this.slot.cluster(push);
          } catch {
            counting = false; // the pipeline's own reader reports what is wrong with these bytes
          }
        }
        yield chunk;
      }
      finished = true;
    } catch (error) {
      // Taken over (its connection was closed on purpose) or gone: its run just ends.
      if (!this.slot.replaced(push) && !connectionLost(error)) throw error;
    } finally {
      const ended = finished && !signal.aborted && !this.slot.replaced(push);
      this.slot.release(push);
      if (ended) push.finish();
      else push.drop();
    }
  }

  async close(): Promise<void> {
    this.slot.close();
  }
}
