import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ScreenInfo, Settings } from '../api.js';
import { FfmpegChild, type FfmpegExit } from '../ffmpeg/child.js';
import { ffmpegGone } from '../ffmpeg/errors.js';
import { isExecutable } from '../ffmpeg/locate.js';
import type { Encoder, EncoderFactory } from '../session/encoder.js';
import { portalClosed, readerMissing } from './errors.js';
import type { ScreenCast } from './portal.js';
import { pipewireReaderArgs, portalCaptureArgs } from './reader.js';

export interface PortalEncoderOptions {
  cast: ScreenCast;
  ffmpegPath: string;
  encoder: string;
  settings: () => Settings;
  /** gst-launch-1.0 (default: on PATH). */
  readerPath?: string;
}

/** The screen a portal cast shows: the size the desktop announced. */
export function castScreen(cast: ScreenCast): ScreenInfo {
  const width = cast.stream.width ?? 1920;
  const height = cast.stream.height ?? 1080;
  return {
    id: 'portal',
    name: `The screen chosen in the desktop's dialog (${width}×${height})`,
    x: 0,
    y: 0,
    width,
    height,
    scaleFactor: 1,
    primary: true,
  };
}

/**
 * Encoders for a Wayland screen: each run asks the portal for a new PipeWire connection (a
 * connection cannot be reused by a second reader), starts the reader with it as fd 3, and ffmpeg
 * reading the reader's frames. Stopping the run stops both; the reader going away ends ffmpeg's input.
 */
export function portalEncoders(options: PortalEncoderOptions): EncoderFactory {
  const readerPath = options.readerPath ?? 'gst-launch-1.0';
  let closed = false;
  options.cast.onClosed(() => {
    closed = true;
  });
  return {
    start(screen: ScreenInfo): Encoder {
      return startRun(options, readerPath, screen);
    },
    gone(cause?: unknown): Error | null {
      if (closed) return portalClosed();
      if ((cause as { code?: string } | undefined)?.code === 'PIPEWIRE_READER_MISSING') return cause as Error;
      return isExecutable(options.ffmpegPath) ? null : ffmpegGone(options.ffmpegPath, cause);
    },
  };
}

interface Run {
  reader: ChildProcessByStdio<null, Readable, Readable>;
  ffmpeg: FfmpegChild;
}

function startRun(options: PortalEncoderOptions, readerPath: string, screen: ScreenInfo): Encoder {
  const settings = options.settings();
  const stderrListeners: ((text: string) => void)[] = [];
  let stopped = false;
  let current: Run | null = null;

  const started: Promise<Run | null> = options.cast.openRemote().then((fd) => {
    try {
      if (stopped) return null;
      const reader = spawn(
        readerPath,
        pipewireReaderArgs(options.cast.stream.nodeId, screen.width, screen.height, settings.fps),
        { stdio: ['ignore', 'pipe', 'pipe', fd] },
      ) as unknown as ChildProcessByStdio<null, Readable, Readable>;
      const readerFailed = new Promise<never>((_, reject) => {
        reader.once('error', (error) => reject(readerMissing(readerPath, error)));
      });
      readerFailed.catch(() => {});
      const ffmpeg = new FfmpegChild(
        options.ffmpegPath,
        portalCaptureArgs(settings, screen, options.encoder),
        { stdin: 'commands', fd3: reader.stdout },
      );
      // The reader's own complaints (a stream that went away) go where ffmpeg's error lines go.
      reader.stderr.setEncoding('utf8');
      reader.stderr.on('data', (text: string) => {
        for (const listener of stderrListeners) listener(`gst: ${text}`);
      });
      ffmpeg.process.stderr.on('data', (text: string) => {
        for (const listener of stderrListeners) listener(text);
      });
      // ffmpeg ending (killed, crashed) ends the reader too; no reader outlives its run.
      void ffmpeg.exited.finally(() => {
        if (reader.exitCode === null && reader.signalCode === null) reader.kill('SIGTERM');
      });
      current = { reader, ffmpeg };
      void readerFailed.catch(() => ffmpeg.process.kill('SIGKILL'));
      return current;
    } finally {
      // The children hold their own copies; ours is closed whatever happened.
      closeSync(fd);
    }
  });
  started.catch(() => {});

  const exited: Promise<FfmpegExit> = started.then(async (run) => {
    if (!run) return { code: null, signal: 'SIGTERM', stderrTail: '' };
    const readerGone = new Promise<never>((_, reject) =>
      run.reader.once('error', (error) => reject(readerMissing(readerPath, error))),
    );
    const exit = await Promise.race([run.ffmpeg.exited, readerGone]);
    await new Promise<void>((resolve) => {
      if (run.reader.exitCode !== null || run.reader.signalCode !== null) return resolve();
      run.reader.once('close', () => resolve());
    });
    return exit;
  });
  exited.catch(() => {});

  async function* output(): AsyncGenerator<Buffer> {
    const run = await started.catch(() => null);
    if (!run) return;
    for await (const chunk of run.ffmpeg.stdout) yield chunk as Buffer;
  }

  return {
    output: output(),
    exited,
    get pid() {
      return current?.ffmpeg.running ? (current.ffmpeg.process.pid ?? null) : null;
    },
    onStderr: (listener) => void stderrListeners.push(listener),
    stop: async (graceMs) => {
      stopped = true;
      const run = await started.catch(() => null);
      if (!run) return;
      await run.ffmpeg.stop(graceMs);
      run.reader.kill('SIGTERM');
      await exited.catch(() => undefined);
    },
    kill: () => {
      stopped = true;
      if (current) {
        current.ffmpeg.process.kill('SIGKILL');
        current.reader.kill('SIGKILL');
      }
    },
  };
}
