import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { FfmpegError } from './errors.js';

const STDERR_TAIL_BYTES = 4096;

export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines ffmpeg wrote to stderr. */
  stderrTail: string;
}

/**
 * One ffmpeg process: spawned with an argument array (never a shell), stdout is the media, stderr kept
 * as a bounded tail for error messages. `stop()` asks politely (`q`), then SIGTERM, then SIGKILL.
 */
export class FfmpegChild {
  readonly process: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly exited: Promise<FfmpegExit>;
  private tail = '';
  private done = false;

  private readonly stdinMode: 'commands' | 'media' | 'none';

  /**
   * `stdin`: 'commands' when ffmpeg reads keys from it (stop sends `q`), 'media' when it is the input,
   * 'none' when unused (ffmpeg runs with -nostdin; stop goes straight to SIGTERM, which ffmpeg handles
   * as a clean quit).
   */
  constructor(binary: string, args: string[], options: { stdin?: 'commands' | 'media' | 'none' } = {}) {
    this.stdinMode = options.stdin ?? 'none';
    this.process = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    if (this.stdinMode === 'none') this.process.stdin.end();
    // ffmpeg may exit before reading all of its stdin: EPIPE there is expected, not a crash.
    this.process.stdin.on('error', () => {});
    this.process.stderr.setEncoding('utf8');
    this.process.stderr.on('data', (text: string) => {
      this.tail = (this.tail + text).slice(-STDERR_TAIL_BYTES);
    });
    this.exited = new Promise((resolve, reject) => {
      this.process.once('error', (error: NodeJS.ErrnoException) => {
        this.done = true;
        reject(
          new FfmpegError(
            'FFMPEG_MISSING',
            `Could not start ffmpeg (${binary}): ${error.message}.`,
            'Check the ffmpeg path.',
            {
              cause: error,
            },
          ),
        );
      });
      this.process.once('close', (code, signal) => {
        this.done = true;
        resolve({ code, signal, stderrTail: this.tail.trim() });
      });
    });
    // Callers that never await `exited` must not get an unhandled rejection.
    this.exited.catch(() => {});
  }

  get stdout(): Readable {
    return this.process.stdout;
  }

  get stdin(): Writable {
    return this.process.stdin;
  }

  get stderrTail(): string {
    return this.tail.trim();
  }

  get running(): boolean {
    return !this.done;
  }

  /** Stops ffmpeg: `q` (or SIGTERM), SIGTERM after `graceMs`, SIGKILL after twice that. Resolves on exit. */
  async stop(graceMs = 1000): Promise<FfmpegExit | null> {
    if (this.done) return this.exited.catch(() => null);
    const child = this.process;
    if (this.stdinMode === 'commands' && child.stdin.writable) child.stdin.end('q');
    else {
      child.stdin.destroy();
      child.kill('SIGTERM');
    }
    const term = setTimeout(() => child.kill('SIGTERM'), graceMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs * 2);
    try {
      return await this.exited;
    } catch {
      return null;
    } finally {
      clearTimeout(term);
      clearTimeout(kill);
    }
  }
}
