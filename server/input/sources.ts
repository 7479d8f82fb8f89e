import { open, stat } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FfmpegChild } from '../ffmpeg/child.js';
import { remuxArgs } from '../ffmpeg/remux.js';
import { ID, readElementHeader } from '../matroska/ebml.js';
import { readDocType } from '../matroska/header.js';
import { InputError } from './errors.js';

/** Where the live Matroska bytes come from. One `open()` is one run of the input (a file from its start). */
export interface InputSource {
  /** For people and /status: `file demo.mp4`, `stdin`, `tcp://0.0.0.0:9000`, … */
  readonly description: string;
  /** Read in real time by cluster timestamps (files, URLs), or as fast as it comes (live pipes). */
  readonly paced: boolean;
  open(signal: AbortSignal): AsyncGenerator<Buffer>;
  /** Frees what the source holds between runs (a listening socket). Idempotent. */
  close(): Promise<void>;
}

const EBML_MAGIC = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);
const TS_PACKET_BYTES = 188;
/** Enough of a piped input to tell Matroska, MPEG-TS (three packet syncs) and ADTS apart. */
const SNIFF_BYTES = 2 * TS_PACKET_BYTES + 1;

/**
 * ADTS AAC (how MPEG-TS and .aac files carry it) has no AudioSpecificConfig before its first packet, and
 * ffmpeg 5.1's Matroska muxer needs one for a live (unseekable) header: it fails with this line. Such
 * audio is encoded again (cheap; the video is still copied).
 */
const AAC_NOT_COPYABLE = 'Error parsing AAC extradata';

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

function ffmpegFailure(what: string, exit: { code: number | null; stderrTail: string }): InputError {
  const said = exit.stderrTail.split('\n').filter(Boolean).slice(-3).join(' / ');
  return new InputError(
    'INPUT_UNREADABLE',
    `ffmpeg could not read ${what}${said ? `: ${said}` : ` (exit code ${exit.code})`}.`,
    'Check that it is a media file or stream ffmpeg can open (try: ffprobe ' + what + ').',
  );
}

/** The DocType of a file that starts with an EBML head (a Matroska or WebM file), else null. */
async function fileDocType(path: string): Promise<'matroska' | 'webm' | null> {
  const handle = await open(path, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(256), 0, 256, 0);
    const head = readElementHeader(buffer, 0, bytesRead, 0);
    if (!head || head.id !== ID.EBML || head.dataStart + head.size > bytesRead) return null;
    return readDocType(buffer.subarray(0, head.dataStart + head.size), head.dataStart, 0);
  } catch {
    return null; // Not Matroska: ffmpeg reads it and says what it is (or is not).
  } finally {
    await handle.close();
  }
}

interface RemuxOptions {
  /** Fed to ffmpeg's stdin (the input is then `pipe:0`). */
  stdinData?: AsyncIterable<Buffer>;
  format?: 'matroska' | 'webm';
  encodeAudio?: boolean;
}

/** Runs ffmpeg remuxing `input` and yields its stdout; feeds `stdinData` to it when given. */
async function* remux(
  ffmpeg: string,
  input: string,
  what: string,
  signal: AbortSignal,
  { stdinData, format = 'matroska', encodeAudio = false }: RemuxOptions = {},
): AsyncGenerator<Buffer> {
  const args = remuxArgs(input, { fromStdin: Boolean(stdinData), format, encodeAudio });
  const child = new FfmpegChild(ffmpeg, args, { stdin: stdinData ? 'media' : 'none' });
  const onAbort = (): void => void child.stop();
  signal.addEventListener('abort', onAbort, { once: true });
  // A feeder that fails because ffmpeg closed its stdin (it found the input unreadable) is reported
  // through ffmpeg's own exit below.
  const feeding = stdinData
    ? pipeline(stdinData, child.stdin).catch(() => child.stdin.destroy())
    : Promise.resolve();
  let completed = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const exit = await child.exited;
    await feeding;
    if (exit.code !== 0 && !signal.aborted) {
      if (!encodeAudio && exit.stderrTail.includes(AAC_NOT_COPYABLE)) {
        throw new InputError(
          'AUDIO_NOT_COPYABLE',
          `ffmpeg cannot copy the AAC audio of ${what} into a live stream (it is ADTS AAC, as in MPEG-TS).`,
          'Encode the audio on the way in, e.g. ffmpeg -i INPUT -c:v copy -c:a aac -f matroska - | mkvcast serve -',
        );
      }
      throw ffmpegFailure(what, exit);
    }
    completed = true;
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (!completed) await child.stop();
  }
}

/**
 * remux() of a file or URL, which ffmpeg can open again: with the audio encoded when it cannot be
 * copied. `learned` keeps that finding for the next runs of a looped input.
 */
async function* remuxReopening(
  ffmpeg: string,
  input: string,
  signal: AbortSignal,
  learned: { encodeAudio: boolean },
  format: 'matroska' | 'webm' = 'matroska',
): AsyncGenerator<Buffer> {
  try {
    // That failure comes with the header, before any output: nothing has been yielded when it is caught.
    yield* remux(ffmpeg, input, input, signal, { format, encodeAudio: learned.encodeAudio });
  } catch (error) {
    if (!(error instanceof InputError && error.code === 'AUDIO_NOT_COPYABLE')) throw error;
    learned.encodeAudio = true;
    yield* remux(ffmpeg, input, input, signal, { format, encodeAudio: true });
  }
}

/** Yields the bytes of `stream`, as is when it is already Matroska, else remuxed by ffmpeg. */
async function* sniffed(
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
    yield* remux(ffmpeg(), 'pipe:0', what, signal, {
      stdinData: rest(),
      encodeAudio: carriesAdtsAudio(first),
    });
  }
}

/** A file: anything ffmpeg reads, remuxed to live Matroska and paced in real time. */
export function fileSource(path: string, ffmpeg: () => string): InputSource {
  const learned = { encodeAudio: false };
  return {
    description: `file ${path}`,
    paced: true,
    async *open(signal) {
      const info = await stat(path).catch(() => null);
      if (!info)
        throw new InputError('INPUT_NOT_FOUND', `Input not found: ${path}.`, 'Check the path and try again.');
      if (!info.isFile() && !info.isFIFO() && !info.isCharacterDevice()) {
        throw new InputError(
          'INPUT_UNREADABLE',
          `${path} is not a file.`,
          'Give a media file, -, a URL or tcp://HOST:PORT.',
        );
      }
      const format = (await fileDocType(path)) === 'webm' ? 'webm' : 'matroska';
      yield* remuxReopening(ffmpeg(), path, signal, learned, format);
    },
    async close() {},
  };
}

/** A URL ffmpeg opens itself (http, https, rtsp, …), remuxed and paced like a file. */
export function urlSource(url: string, ffmpeg: () => string): InputSource {
  const learned = { encodeAudio: false };
  return {
    description: url,
    paced: true,
    open: (signal) => remuxReopening(ffmpeg(), url, signal, learned),
    async close() {},
  };
}

/** Standard input: live, not paced; Matroska is read as is, anything else goes through ffmpeg. */
export function stdinSource(stdin: Readable, ffmpeg: () => string): InputSource {
  let used = false;
  return {
    description: 'stdin',
    paced: false,
    async *open(signal) {
      if (used) return; // stdin can be read once; a second run is simply empty.
      used = true;
      yield* sniffed(stdin, ffmpeg, 'standard input', signal);
    },
    async close() {},
  };
}

/** A pusher silent for this long may be replaced by a new one (its connection is probably dead). */
export const TCP_TAKEOVER_SILENCE_MS = 2000;

/**
 * Listens on HOST:PORT for one pusher at a time (what `nc -l | mkvcast` did): its bytes are the input.
 * A second pusher while one is sending is turned away; one that arrives after the current pusher has
 * been silent for TCP_TAKEOVER_SILENCE_MS takes over (a pusher that lost its network comes back on a
 * new connection while the old one never closed).
 */
export function tcpSource(
  host: string,
  port: number,
  ffmpeg: () => string,
): InputSource & { listen(): Promise<number> } {
  let server: Server | null = null;
  let pending: ((socket: Socket) => void) | null = null;
  /** The pusher being read, when it last sent, and the one taking over from it. */
  let current: Socket | null = null;
  let lastDataMs = 0;
  let successor: Socket | null = null;
  let boundPort = port;
  const listen = async (): Promise<number> => {
    if (server) return boundPort;
    const created = createServer((socket) => {
      if (!current && pending) {
        const deliver = pending;
        pending = null;
        current = socket;
        lastDataMs = performance.now();
        deliver(socket);
      } else if (!successor && (!current || performance.now() - lastDataMs >= TCP_TAKEOVER_SILENCE_MS)) {
        // Between two runs (open() comes next), or taking over from a silent pusher.
        successor = socket;
        socket.on('error', () => {}); // a successor that fails before it is read is just dropped
        current?.destroy(); // ends the silent pusher's run; the next open() takes the successor
      } else {
        socket.destroy();
      }
    });
    await new Promise<void>((resolve, reject) => {
      created.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new InputError(
            'BAD_INPUT_SPEC',
            error.code === 'EADDRINUSE'
              ? `Port ${port} for the TCP input is in use by another program.`
              : `Could not listen for the TCP input on ${host}:${port}: ${error.message}.`,
            'Pick another port in tcp://HOST:PORT.',
          ),
        ),
      );
      created.listen({ host, port }, () => resolve());
    });
    const address = created.address();
    boundPort = typeof address === 'object' && address ? address.port : port;
    server = created;
    return boundPort;
  };
  return {
    get description() {
      return `tcp://${host}:${boundPort}`;
    },
    paced: false,
    listen,
    async *open(signal) {
      await listen();
      let socket: Socket | null = successor;
      successor = null;
      if (socket) {
        current = socket;
        lastDataMs = performance.now();
      } else {
        socket = await new Promise<Socket | null>((resolve) => {
          pending = resolve;
          signal.addEventListener('abort', () => resolve(null), { once: true });
        });
      }
      if (!socket) return;
      try {
        for await (const chunk of sniffed(
          socket,
          ffmpeg,
          `the stream pushed to ${host}:${boundPort}`,
          signal,
        )) {
          lastDataMs = performance.now();
          yield chunk;
        }
      } catch (error) {
        // Taken over: the old pusher's connection was closed on purpose, its run just ends.
        if (!successor) throw error;
      } finally {
        socket.destroy();
        current = null;
      }
    },
    async close() {
      successor?.destroy();
      successor = null;
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

/** What the INPUT argument names: `-`/nothing, tcp://HOST:PORT, a URL, or a file path. */
export function sourceFor(input: string | undefined, stdin: Readable, ffmpeg: () => string): InputSource {
  if (input === undefined || input === '-') return stdinSource(stdin, ffmpeg);
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(input);
  if (tcp) {
    const port = Number(tcp[2]);
    if (port < 1 || port > 65535) {
      throw new InputError(
        'BAD_INPUT_SPEC',
        `Bad TCP input ${input}: the port must be 1–65535.`,
        'Use tcp://0.0.0.0:9000, for example.',
      );
    }
    return tcpSource(tcp[1].replace(/^\[|\]$/g, ''), port, ffmpeg);
  }
  if (input.startsWith('tcp://')) {
    throw new InputError(
      'BAD_INPUT_SPEC',
      `Bad TCP input ${input}.`,
      'Use tcp://HOST:PORT, e.g. tcp://0.0.0.0:9000.',
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) return urlSource(input, ffmpeg);
  return fileSource(input, ffmpeg);
}
