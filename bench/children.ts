/**
 * Every process the bench starts goes through here, so that each is stopped when its scenario ends and
 * none outlives the bench, whatever way it ends (an error, Ctrl-C).
 */
import { fork, spawn, type ChildProcess, type ForkOptions, type SpawnOptions } from 'node:child_process';

const STDERR_TAIL_CHARS = 4000;
const running = new Set<ChildProcess>();

export interface Child {
  process: ChildProcess;
  pid: number;
  /** The last few thousand characters it wrote to stderr (when stderr is piped). */
  stderrTail(): string;
  /** Resolves with the exit code (or signal) once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

function track(child: ChildProcess, what: string): Child {
  if (child.pid === undefined) throw new Error(`could not start ${what}`);
  running.add(child);
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const pid = child.pid;
  return {
    process: child,
    pid,
    stderrTail: () => tail,
    exited,
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function spawnChild(command: string, args: string[], options: SpawnOptions): Child {
  return track(spawn(command, args, options), `${command} ${args.join(' ')}`);
}

export function forkChild(modulePath: string, args: string[], options: ForkOptions): Child {
  return track(fork(modulePath, args, options), modulePath);
}

/** Kills whatever is still running (the last resort on the way out). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** The next message of `type` from a forked child, or an error after `timeoutMs` or if it exits first. */
export function nextMessage<T extends { type: string }>(
  child: Child,
  type: T['type'],
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T): void => {
      if (message.type !== type) return;
      done();
      resolve(message);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      done();
      reject(
        new Error(`process ${child.pid} exited (${signal ?? code}) before '${type}'\n${child.stderrTail()}`),
      );
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no '${type}' from process ${child.pid} within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      child.process.off('message', onMessage);
      child.process.off('exit', onExit);
    };
    child.process.on('message', onMessage);
    child.process.on('exit', onExit);
  });
}
