/**
 * Child processes for end-to-end tests: every one is tracked so that a test file's `after(killAll)`
 * leaves nothing running, and every run is bounded in time.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';

const STDERR_TAIL_BYTES = 16 * 1024;

const running = new Set<ChildProcess>();

/** `spawn` (no shell), remembered until the child has exited. */
export function spawnTracked(binary: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(binary, args, options);
  running.add(child);
  child.once('close', () => running.delete(child));
  // A spawn failure is reported by whoever waits for the child; it must not crash the test file.
  child.once('error', () => running.delete(child));
  return child;
}

/** SIGKILLs every tracked child still running and waits for them to be gone. */
export async function killAll(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  /** The last few KiB of stderr. */
  stderr: string;
  /** Wall time from spawn to exit. */
  wallMs: number;
  /** Killed because it outlived `timeoutMs`. */
  timedOut: boolean;
}

export interface RunOptions {
  /** Killed with SIGKILL after this long (default 30 s). */
  timeoutMs?: number;
  /** Piped into the child's stdin (a Buffer is written then closed); stdin is ignored when absent. */
  stdin?: Buffer | Readable;
  env?: Record<string, string>;
}

/** Runs `binary args` to its exit and reports how it went; never rejects on a non-zero exit. */
export function runToExit(binary: string, args: string[], options: RunOptions = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const startedMs = performance.now();
    const child = spawnTracked(binary, args, {
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    let timedOut = false;
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    if (child.stdin) {
      // The child may stop reading early (it has read enough): not a failure of the test.
      child.stdin.on('error', () => {});
      if (Buffer.isBuffer(options.stdin)) child.stdin.end(options.stdin);
      else options.stdin?.pipe(child.stdin);
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${binary}: ${error.message}`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout),
        stderr,
        wallMs: performance.now() - startedMs,
        timedOut,
      });
    });
  });
}

/** Resolves with `check()`'s first truthy result, polling every `intervalMs`; rejects after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  { timeoutMs = 10_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      lastError = null;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The pids of `pid`'s children, from /proc (Linux). */
export function childPids(pid: number): number[] {
  // /proc/PID/task/TID/children lists the children each thread started.
  const pids: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  for (const task of tasks) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const word of text.split(/\s+/)) if (word) pids.push(Number(word));
  }
  return pids;
}

/** Whether a process with this pid exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the command name in parentheses.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
