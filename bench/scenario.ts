/**
 * One measurement: N viewers on mkvcast or on the pump. Starts the target, connects the viewers all at
 * once from separate processes, waits out a warm-up, then measures over a window: bytes per viewer, CPU
 * and memory of the fan-out process, and (when asked) each Cluster's trip from the feeder's write to its
 * last byte at the last viewer. After the window, with the viewers still connected: new viewers joining
 * one after another (time to the first keyframe byte) and ffmpeg's time to a first decoded frame.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { forkChild, nextMessage, type Child } from './children.js';
import { firstFrameRuns } from './first-frame.js';
import { allProcessesCpuSec, cpuSec, cpuSplitSec, machineCpuSec, memoryMb, tcpCounters } from './proc.js';
import type { Arrival, FeederEntry, FromViewers, ToViewers } from '../support/protocol.js';
import { median, percentile } from '../support/stats.js';
import { startTarget, type Framing, type Target, type TargetKind } from './targets.js';
import { BenchViewer } from '../support/viewer-socket.js';

export interface ScenarioOptions {
  kind: TargetKind;
  viewers: number;
  sourceFile: string;
  host: string;
  /** The source's rate as served; a viewer is in real time when it gets at least REALTIME_SHARE of it. */
  sourceBytesPerSec: number;
  warmupMs: number;
  windowMs: number;
  /** Match Clusters between the feeder and the viewers (outside latency). */
  latency: boolean;
  /** New viewers joining one after another after the window (0: none). */
  joins: number;
  /** ffmpeg first-frame runs after the window (0: none). */
  firstFrames: number;
  ffmpeg: string;
  viewerProcesses: number;
  cpuProfileDir?: string;
  pumpFraming: Framing;
}

export const REALTIME_SHARE = 0.85;
const CONNECT_DEADLINE_MS = 30_000;
const JOIN_TIMEOUT_MS = 5000;

export interface Quantiles {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface OutsideLatency {
  /** Clusters every viewer received during the window, matched to the feeder's write. */
  clusters: number;
  /** Feeder's write → last byte at the last viewer. */
  lastViewer: Quantiles;
  /** Feeder's write → last byte at the first viewer. */
  firstViewer: Quantiles;
  /** Last viewer, keyframe Clusters only, and the others. */
  keyframes: Quantiles & { clusters: number };
  others: Quantiles & { clusters: number };
}

export interface ScenarioResult {
  kind: TargetKind;
  viewers: number;
  /** Runs made to get this one (a run is repeated when other work took the machine's cores). */
  attempts: number;
  connect: {
    streaming: number;
    errors: string[];
    toFirstCluster: Quantiles;
    /** Machine-wide TCP counters over the burst: listen queue drops, retransmission timeouts. */
    listenDrops: number;
    tcpTimeouts: number;
  };
  window: {
    durationMs: number;
    realtime: number;
    /** Mean and lowest rate over viewers, as a share of the source's rate. */
    meanShare: number;
    minShare: number;
    closed: number;
  };
  /** CPU over the window, in % of one core. */
  cpu: {
    serverPct: number;
    /** The part of serverPct spent in the kernel (system calls); the rest is user space. */
    serverSystemPct: number;
    viewerProcsPct: number;
    feederPct: number;
    /** The whole machine (all cores: up to cores × 100), interrupts included. */
    machinePct: number;
    /** Interrupts (irq, softirq, ksoftirqd): loopback TCP work charged to no process of ours. */
    interruptPct: number;
    /** Process time outside the bench's own processes: other work that shared the cores. */
    otherPct: number;
    /** The busiest other processes during the window, `name pct%`. */
    others: string[];
  };
  memory: { rssMb: number; peakMb: number };
  feeder: { maxLateMs: number; share: number };
  insideFanout: { p50Ms: number; p99Ms: number };
  latency: OutsideLatency | null;
  joins: Quantiles & { count: number; failed: number };
  /** ffmpeg's time to a first frame, per run, and the runs that failed. */
  firstFrame: { times: number[]; failures: string[] };
  /** How the stream's body was framed (HTTP/1.1 chunks, or close-delimited). */
  framing: Framing;
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

function quantiles(values: number[]): Quantiles {
  return { p50Ms: percentile(values, 0.5), p99Ms: percentile(values, 0.99), maxMs: Math.max(...values) };
}

function send(child: Child, message: ToViewers): void {
  child.process.send(message);
}

/** Each Cluster's arrivals over all viewer processes. */
function mergeArrivals(lists: Arrival[][]): Map<string, { count: number; firstNs: number; lastNs: number }> {
  const merged = new Map<string, { count: number; firstNs: number; lastNs: number }>();
  for (const list of lists) {
    for (const [key, count, firstNs, lastNs] of list) {
      const seen = merged.get(key);
      if (!seen) merged.set(key, { count, firstNs, lastNs });
      else {
        seen.count += count;
        seen.firstNs = Math.min(seen.firstNs, firstNs);
        seen.lastNs = Math.max(seen.lastNs, lastNs);
      }
    }
  }
  return merged;
}

function outsideLatency(arrivalLists: Arrival[][], log: FeederEntry[], viewers: number): OutsideLatency {
  // The same Cluster comes back every pass of the source: match each arrival to the latest write before it.
  const writes = new Map<string, { ns: number; keyframe: boolean }[]>();
  for (const [key, ns, , , keyframe] of log) {
    const list = writes.get(key) ?? [];
    list.push({ ns, keyframe });
    writes.set(key, list);
  }
  const last: number[] = [];
  const first: number[] = [];
  const keyframes: number[] = [];
  const others: number[] = [];
  for (const [key, arrival] of mergeArrivals(arrivalLists)) {
    if (arrival.count !== viewers) continue; // a Cluster at the window's edge, not seen by all
    const write = (writes.get(key) ?? []).filter((w) => w.ns <= arrival.firstNs).at(-1);
    if (!write) continue;
    const lastMs = (arrival.lastNs - write.ns) / 1e6;
    last.push(lastMs);
    first.push((arrival.firstNs - write.ns) / 1e6);
    (write.keyframe ? keyframes : others).push(lastMs);
  }
  return {
    clusters: last.length,
    lastViewer: quantiles(last),
    firstViewer: quantiles(first),
    keyframes: { ...quantiles(keyframes), clusters: keyframes.length },
    others: { ...quantiles(others), clusters: others.length },
  };
}

/** CPU seconds used so far by each process of the bench and by the machine, at `ns`. */
interface Snapshot {
  server: number;
  serverSystem: number;
  feeder: number;
  viewers: number;
  bench: number;
  machineProcesses: number;
  machineInterrupts: number;
  ns: number;
}

type ProcessTimes = ReturnType<typeof allProcessesCpuSec>;

/**
 * Where the cores went during the window, in % of one core. The kernel threads that run deferred softirq
 * work (ksoftirqd) count with the interrupts: under load, loopback TCP's receive work moves there.
 */
function cpuBreakdown(
  before: Snapshot,
  after: Snapshot,
  everyoneBefore: ProcessTimes,
  everyoneAfter: ProcessTimes,
  ours: number[],
): ScenarioResult['cpu'] {
  const wallSec = (after.ns - before.ns) / 1e9;
  const pct = (key: keyof Snapshot): number => ((after[key] - before[key]) / wallSec) * 100;
  const others = [...everyoneAfter]
    .filter(([pid]) => !ours.includes(pid))
    .map(([pid, { name, sec }]) => ({
      name,
      pct: ((sec - (everyoneBefore.get(pid)?.sec ?? sec)) / wallSec) * 100,
    }));
  const softirqThreadsPct = others
    .filter((x) => x.name.startsWith('ksoftirqd/'))
    .reduce((sum, x) => sum + x.pct, 0);
  const oursPct = pct('server') + pct('feeder') + pct('viewers') + pct('bench');
  return {
    serverPct: pct('server'),
    serverSystemPct: pct('serverSystem'),
    viewerProcsPct: pct('viewers'),
    feederPct: pct('feeder'),
    machinePct: pct('machineProcesses') + pct('machineInterrupts'),
    interruptPct: pct('machineInterrupts') + softirqThreadsPct,
    otherPct: Math.max(0, pct('machineProcesses') - oursPct - softirqThreadsPct),
    others: others
      .filter((x) => x.pct >= 3 && !x.name.startsWith('ksoftirqd/'))
      .sort((a, b) => b.pct - a.pct)
      .slice(0, 4)
      .map((x) => `${x.name} ${x.pct.toFixed(0)}%`),
  };
}

async function joinOneByOne(target: Target, count: number): Promise<ScenarioResult['joins']> {
  const times: number[] = [];
  let failed = 0;
  for (let i = 0; i < count; i++) {
    const viewer = new BenchViewer(target);
    await viewer.firstCluster(JOIN_TIMEOUT_MS);
    viewer.close();
    if (viewer.firstClusterMs === null) failed += 1;
    else times.push(viewer.firstClusterMs);
    await sleep(20);
  }
  return { ...quantiles(times), count: times.length, failed };
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const { viewers } = options;
  const maxSec = Math.ceil((options.warmupMs + options.windowMs) / 1000) + 180;
  const target = await startTarget(options.kind, {
    sourceFile: options.sourceFile,
    host: options.host,
    maxSec,
    cpuProfileDir: options.cpuProfileDir,
    pumpFraming: options.pumpFraming,
  });
  const procs: Child[] = [];
  try {
    const procCount = Math.min(options.viewerProcesses, viewers);
    const perProc = Array.from(
      { length: procCount },
      (_, i) => Math.floor(viewers / procCount) + (i < viewers % procCount ? 1 : 0),
    );
    for (let i = 0; i < perProc.length; i++) {
      procs.push(
        forkChild(here('../support/socket-viewers.js'), [String(maxSec)], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
    }
    const tcpBefore = tcpCounters();
    const connected = procs.map((p) =>
      nextMessage<Extract<FromViewers, { type: 'connected' }>>(p, 'connected', CONNECT_DEADLINE_MS + 15_000),
    );
    procs.forEach((p, i) =>
      send(p, {
        type: 'connect',
        host: target.host,
        port: target.port,
        path: target.path,
        count: perProc[i],
        deadlineMs: CONNECT_DEADLINE_MS,
      }),
    );
    const connects = await Promise.all(connected);
    const tcpAfter = tcpCounters();
    const firstClusterMs = connects.flatMap((c) => c.firstClusterMs);
    const reached = firstClusterMs.filter((ms): ms is number => ms !== null);

    await sleep(options.warmupMs);

    const snapshot = (): Snapshot => {
      const ours = process.cpuUsage();
      const machine = machineCpuSec();
      return {
        server: cpuSec(target.server.pid),
        serverSystem: cpuSplitSec(target.server.pid).systemSec,
        feeder: cpuSec(target.feeder.pid),
        viewers: procs.reduce((sum, p) => sum + cpuSec(p.pid), 0),
        bench: (ours.user + ours.system) / 1e6,
        machineProcesses: machine.processSec,
        machineInterrupts: machine.interruptSec,
        ns: Number(process.hrtime.bigint()),
      };
    };
    const before = snapshot();
    const everyoneBefore = allProcessesCpuSec();
    const windows = procs.map((p) =>
      nextMessage<Extract<FromViewers, { type: 'window' }>>(p, 'window', options.windowMs + 30_000),
    );
    for (const p of procs) send(p, { type: 'window-start', recordArrivals: options.latency });
    await sleep(options.windowMs);
    for (const p of procs) send(p, { type: 'window-end' });
    const after = snapshot();
    const everyoneAfter = allProcessesCpuSec();
    const wallSec = (after.ns - before.ns) / 1e9;
    const memory = memoryMb(target.server.pid);
    const results = await Promise.all(windows);

    const shares = results.flatMap((r) =>
      r.bytes.map((bytes) => bytes / (options.sourceBytesPerSec * (r.durationMs / 1000))),
    );
    // A server too busy to answer /status in time is itself a finding: reported as "–".
    const insideFanout = await target.fanout().catch(() => ({ p50Ms: NaN, p99Ms: NaN }));
    const log = await target.feederLog();
    const inWindow = log.filter(([, ns]) => ns >= before.ns && ns <= after.ns);
    const feederBytes = inWindow.length > 1 ? inWindow[inWindow.length - 1][2] - inWindow[0][2] : 0;
    const latency = options.latency
      ? outsideLatency(
          results.map((r) => r.arrivals),
          log,
          viewers,
        )
      : null;

    const joins = await joinOneByOne(target, options.joins);
    const firstFrame = await firstFrameRuns(options.ffmpeg, target.url, options.firstFrames);

    return {
      kind: options.kind,
      viewers,
      attempts: 1,
      framing: target.framing,
      connect: {
        streaming: reached.length,
        errors: connects.flatMap((c) => c.errors),
        toFirstCluster: quantiles(reached),
        listenDrops: tcpAfter.listenDrops - tcpBefore.listenDrops,
        tcpTimeouts: tcpAfter.timeouts - tcpBefore.timeouts,
      },
      window: {
        durationMs: median(results.map((r) => r.durationMs)),
        realtime: shares.filter((s) => s >= REALTIME_SHARE).length,
        meanShare: shares.reduce((a, b) => a + b, 0) / Math.max(1, shares.length),
        minShare: Math.min(...shares),
        closed: results.reduce((sum, r) => sum + r.closed, 0),
      },
      cpu: cpuBreakdown(before, after, everyoneBefore, everyoneAfter, [
        process.pid,
        target.server.pid,
        target.feeder.pid,
        ...procs.map((p) => p.pid),
      ]),
      memory,
      feeder: {
        maxLateMs: Math.max(0, ...inWindow.map(([, , , late]) => late)),
        share: feederBytes / (options.sourceBytesPerSec * wallSec),
      },
      insideFanout,
      latency,
      joins,
      firstFrame,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await target.stop();
  }
}
