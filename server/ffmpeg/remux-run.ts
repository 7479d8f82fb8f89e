import { pipeline } from 'node:stream/promises';
import { FfmpegChild, type FfmpegExit } from './child.js';
import { FfmpegError } from './errors.js';
import { remuxArgs, URL_INPUT_PROTOCOLS } from './remux.js';

export interface RemuxRun {
  /** What is read, for messages: the input's safe description (never a URL with its password). */
  what: string;
  signal: AbortSignal;
  /** Fed to ffmpeg's stdin (the input is then `pipe:0`). */
  stdinData?: AsyncIterable<Buffer>;
  format?: 'matroska' | 'webm';
  encodeAudio?: boolean;
  /** A URL input: ffmpeg may open network protocols only (see remuxArgs). */
  networkOnly?: boolean;
}

/**
 * ADTS AAC (how MPEG-TS and .aac files carry it) has no AudioSpecificConfig before its first packet, and
 * ffmpeg 5.1's Matroska muxer needs one for a live (unseekable) header: it fails with this line. Such
 * audio is encoded again (cheap; the video is still copied).
 */
const AAC_NOT_COPYABLE = 'Error parsing AAC extradata';
/** What ffmpeg says when an input (a redirect, a playlist) names a protocol outside -protocol_whitelist. */
const NOT_ON_WHITELIST = /Protocol '([^']*)' not on whitelist/;
/** An HLS segment or key that could not be opened, with its scheme (`file:`, `subfile,,…:`). */
const SEGMENT_REFUSED = /(?:Error when loading first segment|Unable to open) '?([a-z][a-z0-9.+-]*)[:,]/i;

/** The non-network protocol an input tried to open, from what ffmpeg said; null when there was none. */
function refusedProtocol(stderr: string): string | null {
  const listed = NOT_ON_WHITELIST.exec(stderr);
  if (listed) return listed[1];
  const segment = SEGMENT_REFUSED.exec(stderr);
  const scheme = segment?.[1].toLowerCase();
  return scheme && !(URL_INPUT_PROTOCOLS as readonly string[]).includes(scheme) ? scheme : null;
}

/**
 * The error for a remux that failed, from ffmpeg's exit. `input` (as typed, maybe with a password) is
 * replaced by `what` in what ffmpeg said.
 */
export function remuxFailure(
  input: string,
  what: string,
  exit: Pick<FfmpegExit, 'code' | 'stderrTail'>,
  audioEncoded = false,
): FfmpegError {
  const said = exit.stderrTail.split(input).join(what).split('\n').filter(Boolean).slice(-3).join(' / ');
  const refused = refusedProtocol(exit.stderrTail);
  if (refused) {
    return new FfmpegError(
      'PROTOCOL_REFUSED',
      `${what} sent ffmpeg to a '${refused}:' address (a redirect or a playlist entry); mkvcast lets a URL input open network protocols only.`,
      'If you meant a local file, give its path as the input; otherwise fix the server that redirects.',
    );
  }
  if (!audioEncoded && exit.stderrTail.includes(AAC_NOT_COPYABLE)) {
    return new FfmpegError(
      'AUDIO_NOT_COPYABLE',
      `ffmpeg cannot copy the AAC audio of ${what} into a live stream (it is ADTS AAC, as in MPEG-TS).`,
      'Encode the audio on the way in, e.g. ffmpeg -i INPUT -c:v copy -c:a aac -f matroska - | mkvcast serve -',
    );
  }
  return new FfmpegError(
    'INPUT_UNREADABLE',
    `ffmpeg could not read ${what}${said ? `: ${said}` : ` (exit code ${exit.code})`}.`,
    'Check that it is a media file or stream ffmpeg can open (try ffprobe on it).',
  );
}

/**
 * Runs ffmpeg remuxing `input` to live Matroska and yields its stdout; feeds `stdinData` to it when
 * given. Stopped (and awaited) when the caller stops iterating or the signal aborts; a failed exit
 * throws remuxFailure().
 */
export async function* runRemux(ffmpeg: string, input: string, run: RemuxRun): AsyncGenerator<Buffer> {
  const { stdinData, signal, format = 'matroska', encodeAudio = false } = run;
  const args = remuxArgs(input, {
    fromStdin: Boolean(stdinData),
    format,
    encodeAudio,
    networkOnly: run.networkOnly,
  });
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
    if (exit.code !== 0 && !signal.aborted) throw remuxFailure(input, run.what, exit, encodeAudio);
    completed = true;
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (!completed) await child.stop();
  }
}

/**
 * runRemux() of a file or URL, which ffmpeg can open again: with the audio encoded when it cannot be
 * copied. `learned` keeps that finding for the next runs of a looped input.
 */
export async function* runRemuxReopening(
  ffmpeg: string,
  input: string,
  run: RemuxRun,
  learned: { encodeAudio: boolean },
): AsyncGenerator<Buffer> {
  try {
    // That failure comes with the header, before any output: nothing has been yielded when it is caught.
    yield* runRemux(ffmpeg, input, { ...run, encodeAudio: learned.encodeAudio });
  } catch (error) {
    if (!(error instanceof FfmpegError && error.code === 'AUDIO_NOT_COPYABLE')) throw error;
    learned.encodeAudio = true;
    yield* runRemux(ffmpeg, input, { ...run, encodeAudio: true });
  }
}
