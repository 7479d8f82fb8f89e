/**
 * Abusive HTTP clients for the abuse suite, on plain node:net sockets and bounded in count and time:
 * raw exchanges (malformed, oversized, pipelined requests), Slowloris, a connect flood, viewer
 * join/leave cycles and a client that reads at a fixed bit rate.
 */
import { connect, type Socket } from 'node:net';

const HEAD_END = '\r\n\r\n';
/** What an exchange keeps of an answer: enough for every head, not a live stream's body. */
const KEEP_BYTES = 64 * 1024;

export interface Exchange {
  /** The status of each response, in the order they came (pipelined requests give several). */
  statuses: number[];
  /** The heads of those responses. */
  heads: string[];
  /** The server closed the connection (rather than the client giving up after `timeoutMs`). */
  closedByServer: boolean;
  /** Everything received, as latin1, up to 64 KiB. */
  text: string;
  error: string | null;
}

/** The responses at the start of `text`: heads, and bodies skipped by Content-Length. */
function parseResponses(text: string): { statuses: number[]; heads: string[] } {
  const statuses: number[] = [];
  const heads: string[] = [];
  let at = 0;
  for (;;) {
    const end = text.indexOf(HEAD_END, at);
    if (end < 0) break;
    const head = text.slice(at, end);
    const status = /^HTTP\/1\.[01] (\d{3}) /.exec(head);
    if (!status) break;
    statuses.push(Number(status[1]));
    heads.push(head);
    at = end + HEAD_END.length;
    // An answer to HEAD has no body, whatever its head says: the next response follows at once.
    if (text.startsWith('HTTP/1.', at)) continue;
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    // A body with no length (a live stream) runs to the end of the connection: nothing follows it.
    if (!length) break;
    at += Number(length[1]);
  }
  return { statuses, heads };
}

/**
 * Sends `parts` (each written `gapMs` after the previous one) and collects the answer until the server
 * closes or `timeoutMs` passes.
 */
export function exchange(
  port: number,
  parts: string | Buffer | (string | Buffer)[],
  { timeoutMs = 2000, gapMs = 0 }: { timeoutMs?: number; gapMs?: number } = {},
): Promise<Exchange> {
  const list = Array.isArray(parts) ? parts : [parts];
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    let text = '';
    let error: string | null = null;
    let closedByServer = false;
    const timers: NodeJS.Timeout[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      for (const timer of timers) clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseResponses(text), closedByServer, text, error });
    };
    socket.on('data', (chunk: Buffer) => {
      if (text.length < KEEP_BYTES) text += chunk.toString('latin1');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error ??= e.code ?? e.message;
    });
    socket.on('close', () => {
      closedByServer = true;
      finish();
    });
    socket.on('connect', () => {
      list.forEach((part, i) => {
        const write = (): void => void (socket.writable && socket.write(part));
        if (i === 0 || gapMs === 0) write();
        else timers.push(setTimeout(write, i * gapMs));
      });
    });
    timers.push(setTimeout(finish, timeoutMs));
  });
}

export interface SlowlorisResult {
  opened: number;
  /** How each connection ended: `408`, another status, or `closed` (no answer). */
  outcomes: Record<string, number>;
  /** Time from opening to the server's answer or close, per connection that ended (ms, sorted). */
  heldMs: number[];
  /** Connections the server had not ended when the attack gave up. */
  stillOpen: number;
}

/**
 * Slowloris: `connections` sockets that start a request and then send one more header line every
 * `lineIntervalMs`, never finishing it, until the server ends them (or `maxMs` passes).
 */
export async function slowloris(
  port: number,
  { connections, lineIntervalMs, maxMs }: { connections: number; lineIntervalMs: number; maxMs: number },
): Promise<SlowlorisResult> {
  const startedMs = performance.now();
  const open = new Set<Socket>();
  const outcomes: Record<string, number> = {};
  const heldMs: number[] = [];
  let opened = 0;
  const all: Promise<void>[] = [];
  for (let i = 0; i < connections; i++) {
    // Opened in bursts of 100: the attack's connects must not look like the connect flood.
    if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 20));
    all.push(
      new Promise<void>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port });
        const openedMs = performance.now();
        let status = 'closed';
        socket.on('connect', () => {
          opened += 1;
          open.add(socket);
          socket.write('GET /live.mkv HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        });
        socket.on('data', (chunk: Buffer) => {
          const match = /^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString('latin1'));
          if (match && status === 'closed') status = match[1];
        });
        socket.on('error', () => {});
        socket.on('close', () => {
          if (open.delete(socket)) {
            outcomes[status] = (outcomes[status] ?? 0) + 1;
            heldMs.push(performance.now() - openedMs);
          } else {
            outcomes['connect failed'] = (outcomes['connect failed'] ?? 0) + 1;
          }
          resolve();
        });
      }),
    );
  }
  let line = 0;
  const dribble = setInterval(() => {
    line += 1;
    for (const socket of open) socket.write(`X-Slow-${line}: ${line}\r\n`);
  }, lineIntervalMs);
  const giveUp = setTimeout(
    () => {
      for (const socket of open) socket.destroy();
    },
    Math.max(0, maxMs - (performance.now() - startedMs)),
  );
  const stillOpenAtEnd = await Promise.race([
    Promise.all(all).then(() => 0),
    new Promise<number>((resolve) =>
      setTimeout(() => resolve(open.size), Math.max(0, maxMs - 1 - (performance.now() - startedMs))),
    ),
  ]);
  await Promise.all(all);
  clearInterval(dribble);
  clearTimeout(giveUp);
  return { opened, outcomes, heldMs: heldMs.sort((a, b) => a - b), stillOpen: stillOpenAtEnd };
}

export interface FloodResult {
  attempted: number;
  connected: number;
  /** Connections completed per second of the flood. */
  connectsPerSec: number;
  /** Errors by code (ECONNREFUSED, ECONNRESET, EADDRNOTAVAIL…). */
  errors: Record<string, number>;
  /** Connects not attempted because too many were already pending (the client could not keep up). */
  skipped: number;
}

/**
 * `perSec` connections a second for `seconds`: each closes as soon as it is established, without a
 * request. At most `maxPending` are in flight at once.
 */
export async function connectFlood(
  port: number,
  { perSec, seconds, maxPending = 2000 }: { perSec: number; seconds: number; maxPending?: number },
): Promise<FloodResult> {
  const tickMs = 10;
  const perTick = perSec / (1000 / tickMs);
  const startedMs = performance.now();
  const errors: Record<string, number> = {};
  let attempted = 0;
  let connected = 0;
  let skipped = 0;
  let pending = 0;
  let lastConnectMs = startedMs;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsedMs = performance.now() - startedMs;
      const due = Math.min(perSec * seconds, Math.floor((elapsedMs / tickMs + 1) * perTick));
      while (attempted + skipped < due) {
        if (pending >= maxPending) {
          skipped += 1;
          continue;
        }
        attempted += 1;
        pending += 1;
        const socket = connect({ host: '127.0.0.1', port });
        socket.on('connect', () => {
          connected += 1;
          lastConnectMs = performance.now();
          socket.destroy();
        });
        socket.on('error', (e: NodeJS.ErrnoException) => {
          const code = e.code ?? e.message;
          errors[code] = (errors[code] ?? 0) + 1;
        });
        socket.on('close', () => {
          pending -= 1;
          if (attempted + skipped >= perSec * seconds && pending === 0) resolve();
        });
      }
      if (attempted + skipped < perSec * seconds) setTimeout(tick, tickMs);
      else if (pending === 0) resolve();
    };
    tick();
  });
  const spanSec = Math.max(seconds, (lastConnectMs - startedMs) / 1000);
  return { attempted, connected, connectsPerSec: connected / spanSec, errors, skipped };
}

export interface CyclesResult {
  cycles: number;
  /** Statuses of the cycles that waited for an answer; `closed` when none came. */
  statuses: Record<string, number>;
  errors: Record<string, number>;
  perSec: number;
}

/**
 * `cycles` viewers that join and leave, `concurrency` at a time: every other one waits for the response
 * head (and the first stream bytes) before hanging up, the others hang up right after asking.
 */
export async function viewerCycles(
  port: number,
  { cycles, concurrency }: { cycles: number; concurrency: number },
): Promise<CyclesResult> {
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const startedMs = performance.now();
  let next = 0;
  const one = (waitForAnswer: boolean): Promise<void> =>
    new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true });
      let status = 'closed';
      socket.on('connect', () => {
        socket.write('GET /live.mkv HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: abuse-cycle\r\n\r\n');
        if (!waitForAnswer) socket.destroy();
      });
      socket.on('data', (chunk: Buffer) => {
        const match = /^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString('latin1', 0, 16));
        if (match) status = match[1];
        socket.destroy();
      });
      socket.on('error', (e: NodeJS.ErrnoException) => {
        const code = e.code ?? e.message;
        errors[code] = (errors[code] ?? 0) + 1;
      });
      socket.on('close', () => {
        if (waitForAnswer) statuses[status] = (statuses[status] ?? 0) + 1;
        resolve();
      });
    });
  const worker = async (): Promise<void> => {
    while (next < cycles) {
      const i = next++;
      await one(i % 2 === 0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { cycles, statuses, errors, perSec: cycles / ((performance.now() - startedMs) / 1000) };
}

export interface SlowReaderResult {
  status: number;
  bytes: number;
  /** What it read, in bits per second over its run. */
  bitsPerSec: number;
  /** The server ended the stream (dropped it) before the reader gave up. */
  closedByServer: boolean;
  ranMs: number;
}

/** A viewer of `/live.mkv` that reads at most `bitsPerSec` (pausing its socket), for `seconds`. */
export function slowReader(
  port: number,
  { bitsPerSec, seconds }: { bitsPerSec: number; seconds: number },
): Promise<SlowReaderResult> {
  return new Promise((resolve) => {
    const startedMs = performance.now();
    const socket = connect({ host: '127.0.0.1', port });
    let bytes = 0;
    let status = 0;
    let closedByServer = false;
    let resumeTimer: NodeJS.Timeout | null = null;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(stopTimer);
      if (resumeTimer) clearTimeout(resumeTimer);
      socket.destroy();
      const ranMs = performance.now() - startedMs;
      resolve({ status, bytes, bitsPerSec: (bytes * 8) / (ranMs / 1000), closedByServer, ranMs });
    };
    socket.on('connect', () =>
      socket.write('GET /live.mkv HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: abuse-slow-reader\r\n\r\n'),
    );
    socket.on('data', (chunk: Buffer) => {
      if (status === 0) status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString('latin1', 0, 16))?.[1]);
      bytes += chunk.length;
      // Ahead of the allowance: stop reading until the allowance has caught up.
      const aheadMs = (bytes * 8 * 1000) / bitsPerSec - (performance.now() - startedMs);
      if (aheadMs > 0 && !resumeTimer) {
        socket.pause();
        resumeTimer = setTimeout(() => {
          resumeTimer = null;
          socket.resume();
        }, aheadMs);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closedByServer = true;
      finish();
    });
    const stopTimer = setTimeout(finish, seconds * 1000);
  });
}
