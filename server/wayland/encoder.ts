import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ScreenInfo } from '../api.js';
import { FfmpegChild } from '../ffmpeg/child.js';
import { ffmpegGone } from '../ffmpeg/errors.js';
import { isExecutable, onPath } from '../ffmpeg/locate.js';
import {
  childEncoder,
  type Encoder,
  type EncoderFactory,
  type EncoderFactoryOptions,
} from '../session/encoder.js';
import { portalClosed, readerMissing } from './errors.js';
import { FrameRelay } from './frame-relay.js';
import type { ScreenCast } from './portal.js';
import { i420FrameBytes, pipewireReaderArgs, portalCaptureArgs } from './reader.js';

export interface PortalEncoderOptions extends EncoderFactoryOptions {
  cast: ScreenCast;
  /** gst-launch-1.0 (default: on PATH). */
  readerPath?: string;
  /** The reader sent nothing for this long after its first frame: its stream stopped (default 3 s). */
  stallMs?: number;
  /**
   * A new reader with no earlier frame to hold has sent nothing for this long: black is held until
   * its first frame (default 2 s, well inside the capture loop's 5 s watchdog).
   */
  blankAfterMs?: number;
}

/** One black I420 frame (limited range: Y 16, U and V 128) of the reader's size. */
export function blackI420(width: number, height: number): Buffer {
  const bytes = i420FrameBytes(width, height);
  const luma = (bytes / 3) * 2; // the two chroma planes are a quarter of the luma plane each
  const frame = Buffer.alloc(bytes, 128);
  frame.fill(16, 0, luma);
  return frame;
}

/**
 * The reader's command, under `setpriv --pdeathsig KILL` when util-linux's setpriv is there (every
 * Debian, Ubuntu and Fedora has it): a `share` killed with SIGKILL cannot stop its reader, and a reader
 * with no encoder attached (paused, or waiting for a stream) would otherwise run on with no parent. The
 * kernel keeps the signal across setpriv's exec of gst-launch-1.0. ffmpeg needs none: its stdin (our
 * pipe) ends with us.
 */
export function readerCommand(
  readerPath: string,
  args: string[],
  setprivPath: string | null,
): { file: string; args: string[] } {
  if (!setprivPath) return { file: readerPath, args };
  return { file: setprivPath, args: ['--pdeathsig', 'KILL', '--', readerPath, ...args] };
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

/** The PipeWire reader of a cast: one gst-launch-1.0 child and the relay its frames go through. */
interface Reader {
  child: ChildProcessByStdio<null, Readable, Readable>;
  relay: FrameRelay;
  /** The size and rate it was started for: another needs another reader. */
  key: string;
  /** Set when it could not be started at all. */
  spawnError: Error | null;
  /** Why we stopped it, when we did (its stream stalled, the desktop ended the cast). */
  stoppedBecause: string | null;
  /** The last of what it wrote on stderr (why a stream went away). */
  stderrTail: string;
  exited: Promise<void>;
}

export interface PortalEncoderFactory extends EncoderFactory {
  /** Stops the reader; the cast itself is closed by its owner. */
  close(): Promise<void>;
}

/**
 * Encoders for a Wayland screen. One reader lives as long as it can (see FrameRelay for why); each
 * encoder run is an ffmpeg reading raw frames on its stdin, attached to the reader at a frame
 * boundary. When the reader dies, the running encoder's input ends (so the loop restarts it), and
 * the next run asks the portal for a new session and a new reader.
 */
export function portalEncoders(options: PortalEncoderOptions): PortalEncoderFactory {
  const readerPath = options.readerPath ?? 'gst-launch-1.0';
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  const blankAfterMs = options.blankAfterMs ?? DEFAULT_BLANK_AFTER_MS;
  const { cast } = options;
  let closed = false;
  let reader: Reader | null = null;
  let readers = 0;
  // The desktop ended the cast (GNOME's "stop sharing", the portal gone): the keepalive would repeat
  // the last frame for ever, so the reader is stopped; the run ends, and gone() ends the session.
  cast.onClosed(() => {
    closed = true;
    if (reader) void stopReader(reader, 'the desktop ended the screen cast');
  });

  /** One reader on the cast's current stream (a new portal session first when `renew`). */
  const spawnReader = async (
    screen: ScreenInfo,
    fps: number,
    key: string,
    renew: boolean,
    previous: Reader | null,
  ): Promise<Reader> => {
    if (renew) await cast.renew();
    // Checked here, not by spawn's error: setpriv would start and then fail to find it.
    const readerFile = readerPath.includes('/') ? readerPath : onPath(readerPath, process.env);
    if (!readerFile || !isExecutable(readerFile)) throw readerMissing(readerPath);
    const fd = await cast.openRemote();
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      const args = pipewireReaderArgs(cast.stream.nodeId, screen.width, screen.height, fps, fd !== null);
      const command = readerCommand(readerFile, args, onPath('setpriv', process.env));
      child = spawn(command.file, command.args, {
        stdio: ['ignore', 'pipe', 'pipe', fd ?? 'ignore'],
      }) as unknown as ChildProcessByStdio<null, Readable, Readable>;
    } finally {
      if (fd !== null) closeSync(fd); // the child has its own copy
    }
    const relay = new FrameRelay(i420FrameBytes(screen.width, screen.height));
    // Until the new stream's first frame (see nextReader), the screen is held as the old one last
    // showed it, at the frame rate: the screen has not changed since, or the stream would have started.
    relay.seed(previous?.relay.lastFrame() ?? null);
    // A new cast's first stream can wait for a change on screen as well (seen here on a still screen
    // after another cast of the same output ended), and then there is no earlier frame to hold: the
    // encoder would send nothing, its run be taken for hung and the share fail before its first
    // picture. After blankAfterMs black is held instead, until the screen first changes.
    const holdStartMs = performance.now();
    const hold = setInterval(
      () => {
        if (relay.started || child.exitCode !== null || child.signalCode !== null) {
          clearInterval(hold);
          return;
        }
        if (!relay.lastFrame() && performance.now() - holdStartMs >= blankAfterMs)
          relay.seed([blackI420(screen.width, screen.height)]);
        relay.repeatLast();
      },
      Math.round(1000 / fps),
    );
    child.once('exit', () => clearInterval(hold));
    const next: Reader = {
      child,
      relay,
      key,
      spawnError: null,
      stoppedBecause: null,
      stderrTail: '',
      exited: new Promise((resolve) => child.once('exit', () => resolve())),
    };
    // A frozen stream: once it has started, the keepalive sends a frame every frame interval, so a
    // reader silent for stallMs has lost its stream (the desktop removed the node, PipeWire stopped,
    // the reader hung) and is stopped; the next run asks the portal for a new stream. Before the
    // first frame the hold above stands in: there a still screen and a dead stream look the same.
    // It is killed outright: it has nothing left to flush, and a reader whose stream went away was
    // seen here to ignore SIGTERM.
    let lastDataMs = performance.now();
    const stallCheck = setInterval(
      () => {
        if (!relay.started || performance.now() - lastDataMs <= stallMs) return;
        clearInterval(stallCheck);
        next.stoppedBecause ??= `its stream sent nothing for ${Math.round(stallMs / 100) / 10} s`;
        child.kill('SIGKILL');
      },
      Math.min(500, stallMs),
    );
    child.once('exit', () => clearInterval(stallCheck));
    child.once('error', (error) => {
      clearInterval(hold);
      clearInterval(stallCheck);
      next.spawnError = readerMissing(readerPath, error);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      lastDataMs = performance.now();
      relay.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      next.stderrTail = (next.stderrTail + text).slice(-READER_STDERR_TAIL);
    });
    return next;
  };

  /**
   * The next reader: after the first, in a new portal session. On xdg-desktop-portal-wlr 0.7 a new
   * stream whose predecessor's reader was killed while the screen was still sends its first frame only
   * on the next change on screen: the old capture waits for that change before it is destroyed, and
   * wlroots counts damage per client, which both captures share. Asking again does not help (each new
   * session adds another waiting capture), so the reader waits, and the old reader's last frame is held
   * meanwhile (the screen is as it showed it); the keepalive then repeats from the
   * first frame on.
   */
  const nextReader = async (screen: ScreenInfo, fps: number, key: string): Promise<Reader> => {
    readers += 1;
    const next = await spawnReader(screen, fps, key, readers > 1, reader);
    reader = next;
    return next;
  };

  let pending: Promise<Reader> | null = null;
  const readerFor = async (screen: ScreenInfo, fps: number): Promise<Reader> => {
    // An encoder run that starts while another waits for a reader waits for the same one.
    while (pending) await pending.catch(() => undefined);
    const key = `${screen.width}x${screen.height}@${fps}`;
    if (reader && reader.child.exitCode === null && reader.child.signalCode === null && reader.key === key)
      return reader;
    if (reader) await stopReader(reader);
    pending = nextReader(screen, fps, key);
    try {
      return await pending;
    } finally {
      pending = null;
    }
  };

  return {
    start(screen: ScreenInfo): Encoder {
      const settings = options.settings();
      const sound = options.audio?.() ?? null;
      if (options.paused?.()) {
        // The card, with silence for the sound (the same tracks, so it splices); the reader runs on
        // unattached, so resuming needs no new portal session.
        const args = portalCaptureArgs(settings, screen, options.encoder, {
          card: true,
          audio: sound && { kind: 'silence' },
        });
        return childEncoder(
          new FfmpegChild(options.ffmpegPath, args, { stdin: 'commands' }),
          options.onAudioLevel,
        );
      }
      const ffmpeg = new FfmpegChild(
        options.ffmpegPath,
        portalCaptureArgs(settings, screen, options.encoder, { audio: sound }),
        { stdin: 'media' },
      );
      const encoder = childEncoder(ffmpeg, options.onAudioLevel);
      const stdin = ffmpeg.stdin;
      const stderrListeners: ((text: string) => void)[] = [];
      /** Why this run could not be attached to a reader (the portal or gst failed). */
      let startError: unknown = null;
      let detach = (): void => {};
      const attached = readerFor(screen, settings.fps).then((r) => {
        if (r.spawnError) throw r.spawnError;
        if (!ffmpeg.running) return;
        r.relay.attach(stdin);
        detach = () => r.relay.detach(stdin);
        // The reader gone: this run's input ends, and ffmpeg with it; what the reader said goes
        // where ffmpeg's error lines go, so the restart's reason names it.
        void r.exited.then(() => {
          const said = r.stoppedBecause ?? r.stderrTail.trim().split('\n').slice(-2).join(' / ');
          for (const listener of stderrListeners)
            listener(`PipeWire reader stopped${said ? `: ${said}` : ''}\n`);
          stdin.end();
        });
      });
      attached.catch((error: unknown) => {
        startError = error;
        ffmpeg.process.kill('SIGKILL');
      });
      void ffmpeg.exited.finally(() => detach()).catch(() => {});
      return {
        output: encoder.output,
        exited: ffmpeg.exited.then((exit) => {
          if (startError) throw startError;
          return exit;
        }),
        get pid() {
          return encoder.pid;
        },
        onStderr: (listener) => {
          stderrListeners.push(listener);
          encoder.onStderr(listener);
        },
        stop: (graceMs) => encoder.stop(graceMs),
        kill: () => encoder.kill(),
      };
    },
    gone(cause?: unknown): Error | null {
      if (closed) return portalClosed();
      const code = (cause as { code?: string } | undefined)?.code;
      if (code === 'PIPEWIRE_READER_MISSING' || code?.startsWith('PORTAL_')) return cause as Error;
      return isExecutable(options.ffmpegPath) ? null : ffmpegGone(options.ffmpegPath, cause);
    },
    async close(): Promise<void> {
      closed = true;
      if (reader) await stopReader(reader);
      reader = null;
    },
  };
}

const READER_STDERR_TAIL = 2048;
/**
 * A started stream silent this long is frozen: the keepalive sends a frame every frame interval, so
 * this is 45–90 missed frames at 15–30 fps, room for a loaded machine without keeping a dead stream
 * on screen for long.
 */
const DEFAULT_STALL_MS = 3000;
/** See PortalEncoderOptions.blankAfterMs. */
const DEFAULT_BLANK_AFTER_MS = 2000;

/** Stops a reader (SIGTERM, then SIGKILL after 2 s); `because`, when given, is the reason shown. */
async function stopReader(reader: Reader, because?: string): Promise<void> {
  const { child } = reader;
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (because) reader.stoppedBecause ??= because;
  const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
  child.kill('SIGTERM');
  await reader.exited;
  clearTimeout(kill);
}
