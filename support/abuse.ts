/**
 * The rig of the HTTP abuse suite (test/abuse.test.ts) and its bench (bench/abuse.ts): the real server in
 * its own process (abuse-server.ts) fed a ~2 Mbit/s live stream in real time by support/feeder.js, 9 socket
 * viewers in another process (support/socket-viewers.js) and one ffmpeg decoding the stream, all kept on for the
 * whole run. Windows measure what the viewers got against what the source sent meanwhile; probes read the
 * server's memory, sockets, timers and listeners so that a run can be compared with its baseline.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FeederEntry, FromFeeder, FromViewers, ToFeeder, ToViewers } from './protocol.js';
import { runRequestCases } from './abuse-cases.js';
import { connectFlood, viewerCycles } from './abuse-clients.js';
import type { FromAbuseServer, ServerProbe, ToAbuseServer } from './abuse-server.js';
import { ffmpegPath, makeMedia } from './media.js';
import { spawnTracked, waitFor } from './processes.js';

const DIST = fileURLToPath(new URL('../', import.meta.url));
const SERVER_JS = `${DIST}support/abuse-server.js`;
const FEEDER_JS = `${DIST}support/feeder.js`;
const VIEWERS_JS = `${DIST}support/socket-viewers.js`;

/** The source: 640x360 30 fps H.264 at 2 Mbit/s with AAC, one frame per Cluster, 10 s looped. */
export function abuseSource(): Promise<string> {
  return makeMedia('h264-aac', { seconds: 10, width: 640, height: 360, bitrateKbps: 2000 });
}

/** How hard each abuse pushes: a reduced scale for `npm test`, the full scale for the bench. */
export interface AbuseScale {
  slowlorisConnections: number;
  floodPerSec: number;
  floodSec: number;
  cycles: number;
  cycleConcurrency: number;
  slowReaderBitsPerSec: number;
  slowReaderSec: number;
}

export const TEST_SCALE: AbuseScale = {
  slowlorisConnections: 500,
  floodPerSec: 2000,
  floodSec: 5,
  cycles: 3000,
  cycleConcurrency: 20,
  slowReaderBitsPerSec: 1_000_000,
  slowReaderSec: 10,
};

export const FULL_SCALE: AbuseScale = {
  slowlorisConnections: 1000,
  floodPerSec: 5000,
  floodSec: 10,
  cycles: 10_000,
  cycleConcurrency: 50,
  slowReaderBitsPerSec: 1_000_000,
  slowReaderSec: 20,
};

export interface RigOptions {
  /** Socket viewers (besides the ffmpeg one). */
  socketViewers: number;
  /** Everything the rig starts is gone after this long, whatever happens to the caller. */
  maxSec: number;
  maxViewers?: number;
  /** The server's cap per address (default: maxViewers, since every rig viewer is on 127.0.0.1). */
  maxViewersPerAddress?: number;
}

export interface ViewerWindow {
  durationMs: number;
  /** Bytes the source wrote in the window. */
  sourceBytes: number;
  /** Per socket viewer: bytes received / sourceBytes. */
  socketRatios: number[];
  /** Media time ffmpeg decoded / wall time, over the window (1 = real time). */
  ffmpegSpeed: number;
  /** Socket viewers that closed during the window. */
  closed: number;
}

/** A kind of message from a child, awaited with a deadline. */
function nextMessage<T extends { type: string }>(
  child: ChildProcess,
  type: T['type'],
  what: string,
  timeoutMs = 15_000,
  accept: (message: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T): void => {
      if (message.type !== type || !accept(message)) return;
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`${what} exited (${signal ?? code}) before sending '${type}'`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what} sent no '${type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Bytes the feeder had written by `ns`, from its log (linear between two writes). */
function sourceBytesAt(entries: FeederEntry[], ns: number): number {
  let lo = 0;
  let hi = entries.length - 1;
  if (hi < 0 || ns <= entries[0][1]) return 0;
  if (ns >= entries[hi][1]) return entries[hi][2];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (entries[mid][1] <= ns) lo = mid;
    else hi = mid;
  }
  return entries[lo][2];
}

/** What grew between two probes beyond what the tolerances allow, one line each (empty: no leak). */
export function leaks(baseline: ServerProbe, after: ServerProbe, tolerance: LeakTolerance): string[] {
  const found: string[] = [];
  const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
  if (after.rssBytes > baseline.rssBytes + tolerance.rssBytes) {
    found.push(`RSS ${mb(baseline.rssBytes)} → ${mb(after.rssBytes)} (tolerance +${mb(tolerance.rssBytes)})`);
  }
  if (after.heapUsedBytes > baseline.heapUsedBytes + tolerance.heapBytes) {
    found.push(
      `JS heap ${mb(baseline.heapUsedBytes)} → ${mb(after.heapUsedBytes)} (tolerance +${mb(tolerance.heapBytes)})`,
    );
  }
  if (after.externalBytes > baseline.externalBytes + tolerance.externalBytes) {
    found.push(
      `external memory ${mb(baseline.externalBytes)} → ${mb(after.externalBytes)} (tolerance +${mb(tolerance.externalBytes)})`,
    );
  }
  found.push(...countDiffs(baseline, after));
  return found;
}

/** Counts that must come back exactly: connections, fds, handles and timers, listeners, viewers. */
function countDiffs(baseline: ServerProbe, after: ServerProbe): string[] {
  const found: string[] = [];
  const same = (what: string, a: number, b: number): void => {
    if (a !== b) found.push(`${what} ${a} → ${b}`);
  };
  same('connections', baseline.connections, after.connections);
  same('open fds', baseline.fds, after.fds);
  same('viewers', baseline.viewers, after.viewers);
  for (const [group, a, b] of [
    ['active', baseline.resources, after.resources],
    ['listeners', baseline.listeners, after.listeners],
  ] as const) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      // An Immediate is a turn of work already queued (the viewers event), not something held.
      if (key === 'Immediate') continue;
      same(`${group} ${key}`, a[key] ?? 0, b[key] ?? 0);
    }
  }
  return found;
}

/**
 * After a forced collection, memory may end this far above the baseline (V8's young generation and
 * malloc keep some of what a burst of sockets used). Counts have no tolerance.
 */
export const LEAK_TOLERANCE: LeakTolerance = { rssBytes: 24e6, heapBytes: 2e6, externalBytes: 4e6 };

/** The server while an abuse lasted, probed once a second. */
export interface DuringAbuse {
  peakRssBytes: number;
  peakConnections: number;
  peakFds: number;
  /** The last probe before the abuse ended (null: it lasted under a second). */
  last: ServerProbe | null;
}

export interface LeakTolerance {
  rssBytes: number;
  heapBytes: number;
  externalBytes: number;
}

export class AbuseRig {
  readonly host = '127.0.0.1';
  private progress: { ns: number; outUs: number }[] = [];
  private ffmpegStderr = '';
  private probes = 0;
  private window: { startNs: number; viewers: Promise<Extract<FromViewers, { type: 'window' }>> } | null =
    null;

  private constructor(
    readonly port: number,
    /** Socket viewers and the ffmpeg one. */
    readonly viewerCount: number,
    private readonly server: ChildProcess,
    private readonly serverStderr: () => string,
    private readonly feeder: ChildProcess,
    private readonly viewers: ChildProcess,
    private readonly ffmpeg: ChildProcess,
  ) {
    ffmpeg.stdout?.setEncoding('utf8');
    let partial = '';
    ffmpeg.stdout?.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      const ns = Number(process.hrtime.bigint());
      for (const line of lines) {
        const match = /^out_time_us=(\d+)/.exec(line);
        if (match) this.progress.push({ ns, outUs: Number(match[1]) });
      }
    });
    ffmpeg.stderr?.on('data', (chunk: Buffer) => {
      this.ffmpegStderr = (this.ffmpegStderr + chunk.toString()).slice(-4000);
    });
  }

  get url(): string {
    return `http://${this.host}:${this.port}/live.mkv`;
  }

  /** Starts the server, its source, and the viewers; resolves once every viewer is receiving the stream. */
  static async start(options: RigOptions): Promise<AbuseRig> {
    const source = await abuseSource();
    const server = spawnTracked(
      process.execPath,
      [
        '--expose-gc',
        SERVER_JS,
        String(options.maxViewers ?? 256),
        ...(options.maxViewersPerAddress ? [String(options.maxViewersPerAddress)] : []),
      ],
      { stdio: ['pipe', 'ignore', 'pipe', 'ipc'] },
    );
    let stderr = '';
    server.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
    const feeder = spawnTracked(process.execPath, [FEEDER_JS, source, String(options.maxSec)], {
      stdio: ['ignore', server.stdin ?? 'ignore', 'inherit', 'ipc'],
    });
    // The feeder has its own end of the pipe now; the server sees the end of its input when the feeder exits.
    server.stdin?.destroy();
    const ready = await nextMessage<Extract<FromAbuseServer, { type: 'ready' }>>(
      server,
      'ready',
      'the abuse server',
    ).catch((error: Error) => {
      throw new Error(`${error.message}; its stderr:\n${stderr}`);
    });
    feeder.send({ type: 'go' } satisfies ToFeeder);
    const viewers = spawnTracked(process.execPath, [VIEWERS_JS, String(options.maxSec)], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const url = `http://127.0.0.1:${ready.port}/live.mkv`;
    const ffmpeg = spawnTracked(
      ffmpegPath,
      [
        ...['-hide_banner', '-nostdin', '-v', 'error', '-stats_period', '0.1', '-progress', 'pipe:1'],
        ...['-i', url, '-f', 'null', '-'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const rig = new AbuseRig(
      ready.port,
      options.socketViewers + 1,
      server,
      () => stderr,
      feeder,
      viewers,
      ffmpeg,
    );
    await waitFor('the stream to be live', async () => (await rig.probe(false)).state === 'live', {
      timeoutMs: 15_000,
    });
    viewers.send({
      type: 'connect',
      host: '127.0.0.1',
      port: ready.port,
      path: '/live.mkv',
      count: options.socketViewers,
      deadlineMs: 10_000,
    } satisfies ToViewers);
    const connected = await nextMessage<Extract<FromViewers, { type: 'connected' }>>(
      viewers,
      'connected',
      'the viewers',
    );
    if (connected.errors.length > 0 || connected.firstClusterMs.some((ms) => ms === null)) {
      throw new Error(`the socket viewers did not all get the stream: ${connected.errors.join(', ')}`);
    }
    await waitFor('ffmpeg to decode the stream', () => rig.progress.length > 5, { timeoutMs: 15_000 });
    return rig;
  }

  /** The server's memory, sockets, timers and listeners (after a forced collection when `gc`). */
  async probe(gc = true): Promise<ServerProbe> {
    const id = ++this.probes;
    const answer = nextMessage<Extract<FromAbuseServer, { type: 'probe' }>>(
      this.server,
      'probe',
      'the server',
      15_000,
      (m) => m.id === id,
    );
    this.server.send({ type: 'probe', id, gc } satisfies ToAbuseServer);
    return (await answer).probe;
  }

  /** Every kind of request once, so that what is allocated on first use is in the baseline, not a leak. */
  async warmUp(): Promise<void> {
    await runRequestCases(this.port);
    await viewerCycles(this.port, { cycles: 100, concurrency: 10 });
    await connectFlood(this.port, { perSec: 500, seconds: 1 });
  }

  /**
   * The server at rest: once only the rig's viewers are connected (whatever came before has gone),
   * probed after a forced collection.
   */
  async baseline(timeoutMs = 20_000): Promise<ServerProbe> {
    await waitFor(
      "only the rig's viewers to be connected",
      async () => {
        const p = await this.probe(false);
        return p.connections === this.viewerCount && p.viewers === this.viewerCount;
      },
      { timeoutMs, intervalMs: 200 },
    );
    await this.probe(true);
    return this.probe(true);
  }

  /**
   * Runs `abuse` inside a viewer window, then waits for the server to settle and compares it with
   * `baseline`: what the viewers got, and what did not come back.
   */
  async measure<T>(
    abuse: () => Promise<T>,
    baseline: ServerProbe,
    tolerance: LeakTolerance,
  ): Promise<{ result: T; window: ViewerWindow; during: DuringAbuse; after: ServerProbe; leaks: string[] }> {
    this.startWindow();
    const during: DuringAbuse = { peakRssBytes: 0, peakConnections: 0, peakFds: 0, last: null };
    // Once a second while the abuse lasts: its peaks, and the last state before it stopped.
    const watch = setInterval(
      () =>
        void this.probe(false).then((p) => {
          during.peakRssBytes = Math.max(during.peakRssBytes, p.rssBytes);
          during.peakConnections = Math.max(during.peakConnections, p.connections);
          during.peakFds = Math.max(during.peakFds, p.fds);
          during.last = p;
        }),
      1000,
    );
    let result: T;
    try {
      result = await abuse();
    } finally {
      clearInterval(watch);
    }
    const window = await this.endWindow();
    const { after, leaks: found } = await this.settle(baseline, tolerance);
    return { result, window, during, after, leaks: found };
  }

  /**
   * Waits until the server is back to `baseline` (counts exactly, memory within `tolerance` after a
   * forced collection: V8 and malloc give memory back some seconds after a burst), or `timeoutMs`
   * passes. Returns the last probe and what did not come back (empty: no leak).
   */
  async settle(
    baseline: ServerProbe,
    tolerance: LeakTolerance,
    timeoutMs = 20_000,
  ): Promise<{ after: ServerProbe; leaks: string[] }> {
    const deadline = Date.now() + timeoutMs;
    let after = await this.probe(false);
    while (countDiffs(baseline, after).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await this.probe(false);
    }
    after = await this.probe(true);
    while (leaks(baseline, after, tolerance).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      after = await this.probe(true);
    }
    return { after, leaks: leaks(baseline, after, tolerance) };
  }

  /** Starts counting what the viewers receive. */
  startWindow(): void {
    const startNs = Number(process.hrtime.bigint());
    this.viewers.send({ type: 'window-start', recordArrivals: false } satisfies ToViewers);
    this.window = {
      startNs,
      viewers: nextMessage<Extract<FromViewers, { type: 'window' }>>(
        this.viewers,
        'window',
        'the viewers',
        600_000,
      ),
    };
  }

  /** Ends the window: what each viewer received against what the source sent meanwhile. */
  async endWindow(): Promise<ViewerWindow> {
    if (!this.window) throw new Error('endWindow() without startWindow()');
    const { startNs, viewers } = this.window;
    this.window = null;
    const endNs = Number(process.hrtime.bigint());
    this.viewers.send({ type: 'window-end' } satisfies ToViewers);
    const counted = await viewers;
    const log = nextMessage<FromFeeder>(this.feeder, 'log', 'the feeder');
    this.feeder.send({ type: 'log' } satisfies ToFeeder);
    const { entries } = await log;
    const sourceBytes = sourceBytesAt(entries, endNs) - sourceBytesAt(entries, startNs);
    return {
      durationMs: (endNs - startNs) / 1e6,
      sourceBytes,
      socketRatios: counted.bytes.map((bytes) => bytes / Math.max(1, sourceBytes)),
      ffmpegSpeed: this.ffmpegSpeed(startNs, endNs),
      closed: counted.closed,
    };
  }

  /** ffmpeg's decoded media time over wall time between two instants, from its progress reports. */
  private ffmpegSpeed(startNs: number, endNs: number): number {
    const at = (ns: number): number => {
      let last = 0;
      for (const p of this.progress) {
        if (p.ns > ns) break;
        last = p.outUs;
      }
      return last;
    };
    return (at(endNs) - at(startNs)) / 1000 / ((endNs - startNs) / 1e6);
  }

  /** Whether ffmpeg is still decoding, and what it said if not. */
  ffmpegState(): string {
    const exited = this.ffmpeg.exitCode ?? this.ffmpeg.signalCode;
    return exited === null ? 'decoding' : `exited (${exited}): ${this.ffmpegStderr.trim()}`;
  }

  get serverLog(): string {
    return this.serverStderr();
  }

  /** Stops everything it started. */
  async stop(): Promise<void> {
    await Promise.all(
      [this.ffmpeg, this.viewers, this.feeder, this.server].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
  }
}
