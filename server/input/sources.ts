import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runRemuxReopening } from '../ffmpeg/remux-run.js';
import { ID, readElementHeader } from '../matroska/ebml.js';
import { readDocType } from '../matroska/header.js';
import { describeInput } from './describe.js';
import { InputError } from './errors.js';
import type { PushSourceOptions } from './push-source.js';
import { sniffed } from './sniff.js';
import { TcpSource } from './tcp-source.js';

/** Where the live Matroska bytes come from. One `open()` is one run of the input (a file from its start). */
export interface InputSource {
  /** For people and /status, safe to show (see describeInput): `file demo.mp4`, `stdin`, `tcp://0.0.0.0:9000`, … */
  readonly description: string;
  /** Read in real time by cluster timestamps (files, URLs), or as fast as it comes (live pipes). */
  readonly paced: boolean;
  open(signal: AbortSignal): AsyncGenerator<Buffer>;
  /** Frees what the source holds between runs (a listening socket). Idempotent. */
  close(): Promise<void>;
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

/** A file: anything ffmpeg reads, remuxed to live Matroska and paced in real time. */
export function fileSource(path: string, ffmpeg: () => string): InputSource {
  const learned = { encodeAudio: false };
  const description = describeInput(path);
  return {
    description,
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
      yield* runRemuxReopening(ffmpeg(), path, { what: description, signal, format }, learned);
    },
    async close() {},
  };
}

/** A URL ffmpeg opens itself (http, https, rtsp, …), remuxed and paced like a file. */
export function urlSource(url: string, ffmpeg: () => string): InputSource {
  const learned = { encodeAudio: false };
  const description = describeInput(url);
  return {
    description,
    paced: true,
    open: (signal) =>
      runRemuxReopening(ffmpeg(), url, { what: description, signal, networkOnly: true }, learned),
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

/** The path of a `file://` URL; BAD_INPUT_SPEC when it names another host or is malformed. */
function localPath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch (error) {
    throw new InputError(
      'BAD_INPUT_SPEC',
      `Bad file URL ${describeInput(url)}: ${(error as Error).message}.`,
      'Give the path of the file instead, e.g. /home/me/talk.mp4.',
      { cause: error },
    );
  }
}

/** What the INPUT argument names: `-`/nothing, tcp://HOST:PORT, a URL, or a file path. */
export function sourceFor(
  input: string | undefined,
  stdin: Readable,
  ffmpeg: () => string,
  push: Omit<PushSourceOptions, 'ffmpeg'> = {},
): InputSource {
  if (input === undefined || input === '-') return stdinSource(stdin, ffmpeg);
  // A file URL is a file: URL inputs may open network protocols only (see URL_INPUT_PROTOCOLS).
  if (/^file:\/\//i.test(input)) return fileSource(localPath(input), ffmpeg);
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(input);
  if (tcp) {
    const port = Number(tcp[2]);
    if (port < 1 || port > 65535) {
      throw new InputError(
        'BAD_INPUT_SPEC',
        `Bad TCP input ${input}: the port must be 1–65535.`,
        'Use tcp://127.0.0.1:9000, for example.',
      );
    }
    return new TcpSource(tcp[1].replace(/^\[|\]$/g, ''), port, { ...push, ffmpeg });
  }
  if (input.startsWith('tcp://')) {
    throw new InputError(
      'BAD_INPUT_SPEC',
      `Bad TCP input ${input}.`,
      'Use tcp://HOST:PORT, e.g. tcp://127.0.0.1:9000.',
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) return urlSource(input, ffmpeg);
  return fileSource(input, ffmpeg);
}
