import type { Readable } from 'node:stream';
import { runRemux } from '../ffmpeg/remux-run.js';

const EBML_MAGIC = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);
const TS_PACKET_BYTES = 188;
/** Enough of a piped input to tell Matroska, MPEG-TS (three packet syncs) and ADTS apart. */
const SNIFF_BYTES = 2 * TS_PACKET_BYTES + 1;

/** Whether a piped input's first bytes are MPEG-TS or ADTS, whose AAC audio cannot be copied. */
function carriesAdtsAudio(head: Buffer): boolean {
  const ts =
    head.length >= SNIFF_BYTES &&
    head[0] === 0x47 &&
    head[TS_PACKET_BYTES] === 0x47 &&
    head[2 * TS_PACKET_BYTES] === 0x47;
  const adts = head.length >= 2 && head[0] === 0xff && (head[1] & 0xf6) === 0xf0;
  return ts || adts;
}

/** Yields the bytes of a piped `stream`, as is when it is already Matroska, else remuxed by ffmpeg. */
export async function* sniffed(
  stream: Readable,
  ffmpeg: () => string,
  what: string,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  // Stopping must not wait for a pipe that sends nothing more.
  const onAbort = (): void => void stream.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    yield* sniffedStream(stream, ffmpeg, what, signal);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

async function* sniffedStream(
  stream: Readable,
  ffmpeg: () => string,
  what: string,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let headBytes = 0;
  while (headBytes < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
    headBytes += next.value.length;
  }
  const first = Buffer.concat(head);
  if (first.length === 0) return;
  async function* rest(): AsyncGenerator<Buffer> {
    yield first;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  if (first.subarray(0, 4).equals(EBML_MAGIC)) {
    yield* rest();
  } else {
    // A pipe cannot be read twice: what cannot be retried is decided from its first bytes.
    yield* runRemux(ffmpeg(), 'pipe:0', {
      what,
      signal,
      stdinData: rest(),
      encodeAudio: carriesAdtsAudio(first),
    });
  }
}
