import type { ScreenInfo, Settings } from '../api.js';
import { isMeterLine, parseAudioLevel, type AudioSource } from '../ffmpeg/audio.js';
import { captureArgs, type CapturePlatform } from '../ffmpeg/capture.js';
import { FfmpegChild, type FfmpegExit } from '../ffmpeg/child.js';
import { ffmpegGone } from '../ffmpeg/errors.js';
import { isExecutable } from '../ffmpeg/locate.js';
import { cropScreen } from '../region.js';
import { windowClosed, windowSize } from '../windows.js';

/** One running encoder, as the capture loop sees it: Matroska out, text on stderr, a way to stop it. */
export interface Encoder {
  /** The Matroska stream it writes. */
  readonly output: AsyncIterable<Buffer>;
  /** Resolves when it has exited; rejects when it could not be started at all. */
  readonly exited: Promise<FfmpegExit>;
  /** Its process id while it runs. */
  readonly pid: number | null;
  /** Its stderr text (progress blocks and error lines), as it comes. */
  onStderr(listener: (text: string) => void): void;
  /** Asks it to quit, harder after `graceMs`; resolves once it has exited. */
  stop(graceMs: number): Promise<unknown>;
  /** Kills it at once: a hung (or SIGSTOPped) encoder does not answer anything else. */
  kill(): void;
}

/** Starts encoders for the capture loop: real ffmpeg children in the app, fakes in a unit test. */
export interface EncoderFactory {
  /** A new encoder capturing `screen` with the settings of now. */
  start(screen: ScreenInfo): Encoder;
  /** Null while the encoder can be started; the error to report when its binary, or the window it shares, is gone. */
  gone(cause?: unknown): Error | null;
}

/** What the session gives every encoder factory (ffmpeg's own grabbers, or the Wayland portal's). */
export interface EncoderFactoryOptions {
  ffmpegPath: string;
  /** The video encoder ffmpeg is to use (libx264 unless a working hardware one was picked). */
  encoder: string;
  /** The settings as they are when a run starts (a restart picks up changed capture settings). */
  settings: () => Settings;
  /** True while sharing is paused: a run then encodes the "Paused" card instead of the screen. */
  paused?: () => boolean;
  /** The sound a run captures, as it is when the run starts (a device, or silence); none when absent. */
  audio?: () => AudioSource | null;
  /** Each reading of the sound's level meter (dBFS, every 100 ms), taken out of the stderr text. */
  onAudioLevel?: (db: number) => void;
}

export interface FfmpegEncoderOptions extends EncoderFactoryOptions {
  platform: CapturePlatform;
  display: string;
}

/**
 * Takes the level meter's lines out of ffmpeg's stderr (whole lines only; a partial line waits for
 * its end) and hands the rest on, so that the progress parser and error lines never see them.
 */
export function meterFilter(onLevel: (db: number) => void): (text: string) => string {
  let partial = '';
  return (text) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    const kept: string[] = [];
    for (const line of lines) {
      const db = parseAudioLevel(line);
      if (db !== null) onLevel(db);
      else if (!isMeterLine(line)) kept.push(line);
    }
    return kept.length > 0 ? `${kept.join('\n')}\n` : '';
  };
}

/** ffmpeg capturing the screen: one FfmpegChild a run, with `q` on stdin to stop it. */
export function ffmpegEncoders(options: FfmpegEncoderOptions): EncoderFactory {
  const { ffmpegPath, platform, display } = options;
  return {
    start(screen: ScreenInfo): Encoder {
      const settings = options.settings();
      const paused = options.paused?.() ?? false;
      const sizeOfWindow =
        paused && settings.window && platform === 'linux' ? windowSize(display, settings.window) : null;
      const target = {
        platform,
        screen: cropScreen(screen, settings.region),
        display,
        window: settings.window || undefined,
        card: paused,
        ...(sizeOfWindow ? { windowSize: sizeOfWindow } : {}),
      };
      // Paused: the card, and silence in place of the sound (the same track, so viewers stay).
      const sound = options.audio?.() ?? null;
      const args = captureArgs(
        settings,
        target,
        options.encoder,
        sound && paused ? { kind: 'silence' } : sound,
      );
      return childEncoder(new FfmpegChild(ffmpegPath, args, { stdin: 'commands' }), options.onAudioLevel);
    },
    gone(cause?: unknown): Error | null {
      if (!isExecutable(ffmpegPath)) return ffmpegGone(ffmpegPath, cause);
      const window = options.settings().window;
      return window && platform === 'linux' ? windowClosed(display, window) : null;
    },
  };
}

/**
 * One ffmpeg child as an Encoder, the sound meter's lines taken out of its stderr (onAudioLevel gets
 * them).
 */
export function childEncoder(child: FfmpegChild, onAudioLevel?: (db: number) => void): Encoder {
  const withoutMeter = onAudioLevel ? meterFilter(onAudioLevel) : null;
  return {
    output: child.stdout as AsyncIterable<Buffer>,
    exited: child.exited,
    get pid() {
      return child.running ? (child.process.pid ?? null) : null;
    },
    onStderr: (listener) =>
      void child.process.stderr.on('data', (text: string) => {
        const rest = withoutMeter ? withoutMeter(text) : text;
        if (rest) listener(rest);
      }),
    stop: (graceMs) => child.stop(graceMs),
    kill: () => void child.process.kill('SIGKILL'),
  };
}
