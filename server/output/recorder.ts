import { createWriteStream, openSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { RecordingInfo, RecordingState } from '../api.js';
import { FfmpegChild } from '../ffmpeg/child.js';
import type { Publisher } from '../stream/publisher.js';
import type { Viewer, ViewerCloseReason, ViewerPolicy } from '../stream/viewer.js';
import { OutputError, writeProblem } from './errors.js';

/**
 * A recording never skips: a gap in a file is worse than a late write. Its queue is bounded in bytes
 * (a disk slower than the stream for ~30 s at 8 Mbit/s) and the first time it overflows the recording
 * stops (maxStalledSkips 1) with a message, and sharing goes on.
 */
export const RECORDING_POLICY: ViewerPolicy = {
  maxLagMs: Number.POSITIVE_INFINITY,
  maxQueueBytes: 32 * 1024 * 1024,
  maxStalledSkips: 1,
  maxSkipsPerMinute: 1,
  maxUnreadMs: Number.POSITIVE_INFINITY,
};

export interface RecorderOptions {
  /** `--record FILE`. */
  file: string;
  /** The ffmpeg that finishes each file (Cues, Duration). */
  ffmpeg: () => string;
  /** One line for people: a file finished, the disk is full (`problem`: shown even by --quiet). */
  onNotice?: (message: string, problem?: boolean) => void;
  /** The number of the first file (2: `NAME-2.mkv`), for a session that starts again. Default 1. */
  firstNumber?: number;
}

/** `talk.mkv`, `talk-2.mkv`, `talk-3.mkv`, … : the nth file of a recording. */
export function numberedFile(file: string, n: number): string {
  if (n <= 1) return file;
  const { dir, name, ext } = path.parse(file);
  return path.join(dir, `${name}-${n}${ext || '.mkv'}`);
}

/**
 * Opens `file` for writing now, so that a path that cannot be written fails when the recording is asked
 * for, not later.
 */
function openForRecording(file: string): number {
  try {
    // 'wx': an earlier recording is never overwritten.
    return openSync(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new OutputError(
        'RECORD_EXISTS',
        `Cannot record to ${file}: it already exists.`,
        'Pick another file name, or move the old recording away first.',
        { cause: error },
      );
    throw new OutputError(
      'RECORD_UNWRITABLE',
      `Cannot record to ${file}: ${writeProblem(error as NodeJS.ErrnoException)}.`,
      'Pick a file in a folder that exists and that you may write to, on a disk with room.',
      { cause: error },
    );
  }
}

/**
 * `--record FILE`: one more consumer of the publisher. The file is written as the clusters go out (the
 * header, then each cluster with the timestamps a viewer gets, so an encoder restart spliced into the
 * stream is spliced into the file), so a kill -9 leaves a file that plays up to its last complete
 * cluster. A header with other tracks (a screen size change) ends the file and starts the next numbered
 * one. A clean end finishes the file with a copy remux (`ffmpeg -c copy`), which writes Cues and the
 * Duration, and is renamed over it: players can then seek and show the length.
 *
 * Why a remux rather than patching the live file in place: ffmpeg's header is copied byte for byte to
 * every viewer and has no room for a Duration or a SeekHead to Cues; rewriting it means our own EBML
 * writer for the Segment, Info and SeekHead, and a Cues builder, all to be kept right for every codec.
 * The remux costs one sequential read and write of the file at the end (about 1 s per GB here) and,
 * for that time, the room for a second copy; when it fails (no room), the live file stays as it is:
 * it plays, without seeking.
 */
export class Recorder {
  private output: Viewer | null = null;
  private fileCount = 0;
  private currentFile: string;
  private state: RecordingState = 'recording';
  private bytesBefore = 0;
  private finishing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly publisher: Publisher,
    private readonly options: RecorderOptions,
  ) {
    this.currentFile = options.file;
    this.fileCount = Math.max(1, options.firstNumber ?? 1) - 1;
    this.open();
  }

  info(): RecordingInfo {
    return {
      file: this.currentFile,
      files: this.fileCount,
      state: this.state,
      bytes: this.bytesBefore + (this.output?.info().bytesSent ?? 0),
    };
  }

  /** Ends the current file cleanly and finishes it; resolves when it is finished. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.output?.end();
    await this.waitForOutput();
    await this.finishing;
  }

  private waitForOutput(): Promise<void> {
    const output = this.output;
    if (!output || output.isClosed) return Promise.resolve();
    return new Promise((resolve) => output.once('close', () => setImmediate(resolve)));
  }

  private open(): void {
    let file: string;
    let fd: number;
    for (;;) {
      this.fileCount += 1;
      file = numberedFile(this.options.file, this.fileCount);
      try {
        fd = openForRecording(file);
        break;
      } catch (error) {
        // The first file must be new; a numbered one that exists (an earlier run's) is passed over.
        if ((error as OutputError).code !== 'RECORD_EXISTS' || this.fileCount < 2 || this.fileCount > 999)
          throw error;
      }
    }
    this.currentFile = file;
    this.state = 'recording';
    const writeError: { error: NodeJS.ErrnoException | null } = { error: null };
    const stream = createWriteStream('', { fd, highWaterMark: 1024 * 1024 });
    stream.on('error', (error: NodeJS.ErrnoException) => (writeError.error ??= error));
    const output = this.publisher.addOutput(
      { id: `record-${this.fileCount}`, address: 'local', client: 'recording', userAgent: '' },
      stream,
      RECORDING_POLICY,
    );
    this.output = output;
    output.once('close', (reason: ViewerCloseReason) =>
      this.onClosed(file, stream, output, reason, writeError),
    );
  }

  private onClosed(
    file: string,
    stream: WriteStream,
    output: Viewer,
    reason: ViewerCloseReason,
    writeError: { error: NodeJS.ErrnoException | null },
  ): void {
    this.bytesBefore += output.info().bytesSent;
    if (reason !== 'stream ended') {
      this.state = 'failed';
      this.output = null;
      stream.destroy();
      this.say(
        `Recording to ${file} stopped: ${writeProblem(writeError.error)}. Sharing goes on; the file plays up to where it stopped.`,
        true,
      );
      return;
    }
    // Finished writing: wait for the bytes to reach the file, then finish it.
    this.state = 'finishing';
    const written = new Promise<void>((resolve) => {
      if (stream.closed) resolve();
      else stream.once('close', () => resolve());
    });
    const previous = this.finishing;
    this.finishing = previous.then(() => written).then(() => this.finish(file, writeError.error));
    if (!this.stopped && !this.publisher.isEnded) {
      // A header with other tracks ended this file: the next one starts with it.
      try {
        this.open();
      } catch (error) {
        this.output = null;
        this.state = 'failed';
        this.say(`${(error as OutputError).message} Sharing goes on.`, true);
      }
    } else {
      this.output = null;
    }
  }

  /** Copies `file` into a file with Cues and a Duration, then puts that in its place. */
  private async finish(file: string, writeError: NodeJS.ErrnoException | null): Promise<void> {
    if (writeError) {
      if (this.output === null || this.stopped) this.state = 'failed';
      this.say(
        `Recording to ${file} stopped: ${writeProblem(writeError)}. Sharing goes on; the file plays up to where it stopped.`,
        true,
      );
      return;
    }
    const temp = `${file}.finishing.mkv`;
    let result: { code: number | null; stderrTail: string } | null = null;
    try {
      const child = new FfmpegChild(this.options.ffmpeg(), [
        '-hide_banner',
        '-nostdin',
        '-v',
        'error',
        '-i',
        file,
        '-map',
        '0',
        '-c',
        'copy',
        '-f',
        'matroska',
        '-y',
        temp,
      ]);
      result = await child.exited;
    } catch (error) {
      result = { code: null, stderrTail: (error as Error).message };
    }
    // ffmpeg can exit 0 after a failed write (a full disk: "No space left on device" on stderr, a
    // truncated copy): with -v error, anything on stderr means the copy is not to be trusted.
    const why = result.stderrTail.trim().split('\n').pop()?.trim() ?? '';
    if (result.code === 0 && why === '') {
      try {
        renameSync(temp, file);
        if (this.output === null || this.stopped) this.state = 'done';
        this.say(`Recorded ${file}.`);
        return;
      } catch (error) {
        result = { code: null, stderrTail: (error as Error).message };
      }
    }
    rmSync(temp, { force: true });
    if (this.output === null || this.stopped) this.state = 'failed';
    const { dir, name } = path.parse(file);
    const finished = path.join(dir, `${name}-finished.mkv`);
    this.say(
      `Could not finish ${file} (${why || result.stderrTail.trim() || `ffmpeg exited with ${result.code}`}): it is kept as recorded and plays, but players cannot seek in it or show its length. Once there is room for a second copy, finish it by hand: ffmpeg -i "${file}" -map 0 -c copy "${finished}"`,
      true,
    );
  }

  private say(message: string, problem = false): void {
    this.options.onNotice?.(message, problem);
  }
}
