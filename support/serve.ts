/**
 * The real `mkvcast` CLI as a child process: start it, learn its link from what it prints, read its
 * /status, and stop it with a signal.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StreamStatus } from '../server/api.js';
import { runToExit, spawnTracked, waitFor, type Finished, type RunOptions } from './processes.js';

/** bin/mkvcast.js, from dist/support/. */
export const MKVCAST_BIN = fileURLToPath(new URL('../../bin/mkvcast.js', import.meta.url));

const LINK = /(http:\/\/127\.0\.0\.1:(\d+)\/(?:[A-Za-z0-9_-]+\/)?live\.mkv)/;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServeRun {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The printed stream link, e.g. `http://127.0.0.1:PORT/live.mkv`. */
  readonly url: string;
  /** The landing page: the link without `live.mkv`. */
  readonly page: string;
  readonly port: number;
  readonly exited: Promise<Exit>;
  stdout(): string;
  stderr(): string;
  status(): Promise<StreamStatus>;
  /** Resolves once /status says the input is live. */
  waitLive(timeoutMs?: number): Promise<StreamStatus>;
  /** Sends `signal` (SIGINT, as Ctrl-C does) and waits for the exit; SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** `'pipe'` to write the input to the CLI's stdin yourself (`child.stdin`, or `feed`). */
  stdin?: 'pipe' | 'ignore';
  /**
   * Called with the CLI's stdin right after it starts (with `stdin: 'pipe'`): it prints its link only
   * once its input has sent frames, so a piped input must start flowing before the link is awaited.
   */
  feed?: (stdin: NodeJS.WritableStream) => void;
  /** How long to wait for the link to be printed. */
  timeoutMs?: number;
  /** The command before ARGS (default: node bin/mkvcast.js serve), e.g. `./bin/mkvcast.js demo`. */
  command?: string[];
  cwd?: string;
}

/**
 * Starts `mkvcast serve ARGS --host 127.0.0.1 --port 0` and resolves when it has printed its link;
 * rejects with its stderr when it exits first.
 */
export async function startServe(args: string[], options: StartOptions = {}): Promise<ServeRun> {
  const [binary, ...before] = options.command ?? [process.execPath, MKVCAST_BIN, 'serve'];
  const child = spawnTracked(binary, [...before, ...args, '--host', '127.0.0.1', '--port', '0'], {
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
  });
  if (options.feed && child.stdin) options.feed(child.stdin);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => (stderr = (stderr + text).slice(-16_384)));
  const exited = new Promise<Exit>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const link = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mkvcast printed no link within ${options.timeoutMs ?? 10_000} ms:\n${stderr}`));
    }, options.timeoutMs ?? 10_000);
    child.stdout?.on('data', (text: string) => {
      stdout += text;
      const match = LINK.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`mkvcast exited (${signal ?? code}) before printing a link:\n${stderr}`));
    });
  });
  const url = link[1];
  const page = url.replace(/live\.mkv$/, '');
  const status = async (): Promise<StreamStatus> => {
    const response = await fetch(`${page}status`);
    if (!response.ok) throw new Error(`GET ${page}status answered ${response.status}`);
    return (await response.json()) as StreamStatus;
  };
  return {
    child,
    pid: child.pid as number,
    url,
    page,
    port: Number(link[2]),
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    status,
    async waitLive(timeoutMs = 10_000) {
      try {
        return await waitFor(
          'the input to be live',
          async () => {
            const s = await status();
            return s.state === 'live' && s;
          },
          { timeoutMs },
        );
      } catch (error) {
        const exit = child.exitCode ?? child.signalCode;
        const how = exit === null ? 'still running' : `exited (${exit})`;
        throw new Error(`${(error as Error).message}; mkvcast ${how}, its stderr:\n${stderr}`);
      }
    },
    async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Runs `mkvcast ARGS` to its exit (for errors, --help, --version). */
export function runCli(args: string[], options: RunOptions = {}): Promise<Finished> {
  return runToExit(process.execPath, [MKVCAST_BIN, ...args], { timeoutMs: 15_000, ...options });
}
