/**
 * The Markdown report of a bench run (docs/benchmarks.md): machine, source, method, the tables, and the
 * goals with whether each is met. Everything in it comes from the run; nothing is typed in by hand
 * except the peers' figures measured earlier, which are marked as such.
 */
import { CLUSTER_KEY_BYTES } from '../support/cluster-scanner.js';
import type { MachineInfo } from './proc.js';
import type { ProfileEntry, ProfileSummary } from './profile.js';
import type { ReaderBenchResult } from './reader.js';
import { REALTIME_SHARE, type Quantiles, type ScenarioResult } from './scenario.js';
import type { SourceInfo } from '../support/source.js';
import { SOURCE_ARGS } from '../support/source.js';
import type { TargetKind } from './targets.js';
import { median } from '../support/stats.js';

export interface BenchConfig {
  quick: boolean;
  viewerCounts: number[];
  warmupMs: number;
  windowMs: number;
  joins: number;
  firstFrames: number;
  viewerProcesses: number;
}

/** A server run under `node --cpu-prof`: N viewers connecting at once, streaming, then the stop. */
export interface ProfiledRun {
  kind: TargetKind;
  viewers: number;
  result: ScenarioResult;
  summary: ProfileSummary;
}

/** The pump and mkvcast measured one after the other with the same N. */
export interface CpuPair {
  pump: ScenarioResult;
  mkvcast: ScenarioResult;
}

export interface BenchReport {
  config: BenchConfig;
  startedAt: Date;
  finishedAt: Date;
  machine: MachineInfo;
  source: SourceInfo;
  results: ScenarioResult[];
  pumpFellBehindAt: number | null;
  firstFrameFloorMs: number[];
  cpuPairs: CpuPair[];
  profiles: ProfiledRun[];
  reader: ReaderBenchResult | null;
}

const GOALS = {
  cpuRatioAt500: 1.5,
  rssMbAt500: 200,
  firstKeyframeByteP99Ms: 20,
  firstFrameMedianMs: 150,
  addedLatencyP99Ms: 5,
};

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

const ms = (value: number): string => fixed(value, value < 10 ? 2 : 1);
const pct = (value: number): string => `${fixed(value, 1)}%`;
const q = (x: Quantiles): string => `${ms(x.p50Ms)} / ${ms(x.p99Ms)} / ${ms(x.maxMs)}`;

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function find(results: ScenarioResult[], kind: string, viewers: number): ScenarioResult | undefined {
  return results.find((r) => r.kind === kind && r.viewers === viewers);
}

function fanoutTable(results: ScenarioResult[]): string {
  const rows = results.map((r) => [
    String(r.viewers),
    r.kind,
    `${r.window.realtime}/${r.viewers}` + (r.window.closed ? ` (${r.window.closed} cut off)` : ''),
    `${fixed(r.window.meanShare * 100, 0)}% / ${fixed(r.window.minShare * 100, 0)}%`,
    `${pct(r.cpu.serverPct)} (${pct(r.cpu.serverPct - r.cpu.serverSystemPct)} + ${pct(r.cpu.serverSystemPct)})`,
    `${fixed(r.memory.rssMb, 0)} / ${fixed(r.memory.peakMb, 0)}`,
    `${r.connect.streaming}/${r.viewers}: ${q(r.connect.toFirstCluster)}; ` +
      `${r.connect.listenDrops} listen drops, ${r.connect.tcpTimeouts} TCP timeouts`,
    pct(r.cpu.viewerProcsPct),
    `${pct(r.cpu.machinePct)} (${pct(r.cpu.interruptPct)}, ${pct(r.cpu.otherPct)})`,
    `${fixed(r.feeder.share * 100, 0)}%, ${ms(r.feeder.maxLateMs)} ms`,
    `${ms(r.insideFanout.p50Ms)} / ${ms(r.insideFanout.p99Ms)}`,
  ]);
  return table(
    [
      'viewers',
      'server',
      'in real time',
      'rate: mean / lowest',
      'server CPU, of one core (user + system)',
      'RSS / peak (MB)',
      'all at once: first keyframe byte p50 / p99 / max (ms)',
      'viewer processes CPU',
      'whole machine (interrupts, other work)',
      'feeder: rate, latest write',
      'fan-out inside p50 / p99 (ms)',
    ],
    rows,
  );
}

/** Where the whole machine ran out of cores: from there on, who falls behind first varies from run to run. */
function saturation(results: ScenarioResult[], cpus: number): string {
  const full = results.filter((x) => x.cpu.machinePct >= cpus * 100 * 0.8);
  if (full.length === 0) return `The whole machine stayed below 80% of its ${cpus} cores in every window.`;
  const from = Math.min(...full.map((x) => x.viewers));
  return (
    `From ${from} viewers on, the whole machine was 80% busy or more (the server, the viewer processes and the ` +
    `kernel's loopback work share ${cpus} cores): there, the figures depend on how the cores happen to be ` +
    `shared and vary from one run to the next.`
  );
}

/** mkvcast's figures over the pump's at each N: where its extra cost lies (user space or the kernel). */
function ratioTable(results: ScenarioResult[]): string {
  const counts = [...new Set(results.map((x) => x.viewers))];
  const rows = counts.flatMap((n) => {
    const mk = find(results, 'mkvcast', n);
    const pump = find(results, 'pump', n);
    if (!mk || !pump) return [];
    const user = (x: ScenarioResult): number => x.cpu.serverPct - x.cpu.serverSystemPct;
    const ratio = (a: number, b: number): string => `${fixed(a / b, 2)}×`;
    const points = (d: number): string => `${d >= 0 ? '+' : '−'}${fixed(Math.abs(d), 1)} points`;
    return [
      [
        String(n),
        ratio(mk.cpu.serverPct, pump.cpu.serverPct),
        `${ratio(user(mk), user(pump))} (${points(user(mk) - user(pump))})`,
        `${ratio(mk.cpu.serverSystemPct, pump.cpu.serverSystemPct)} (${points(mk.cpu.serverSystemPct - pump.cpu.serverSystemPct)})`,
        ratio(mk.memory.peakMb, pump.memory.peakMb),
        ratio(mk.connect.toFirstCluster.p99Ms, pump.connect.toFirstCluster.p99Ms),
      ],
    ];
  });
  return table(
    ['viewers', 'CPU', 'user-space CPU', 'kernel CPU', 'RSS peak', 'all at once: first keyframe byte p99'],
    rows,
  );
}

function otherWork(results: ScenarioResult[]): string {
  const lines = results
    .filter((r) => r.attempts > 1 || r.cpu.others.length > 0)
    .map(
      (r) =>
        `- ${r.kind} × ${r.viewers}: ${r.attempts > 1 ? `kept the quietest of ${r.attempts} runs; ` : ''}` +
        `${r.cpu.others.length ? r.cpu.others.join(', ') : 'nothing above 3%'}`,
    );
  return lines.length
    ? `Other sessions share this machine. Each run first waits (up to 20 s) for a second in which the cores are ` +
        `nearly idle, and a window during which other processes took more than 15% of a core is measured again, ` +
        `up to 3 times (for the first 11 minutes of the bench). Other work during the windows kept (the ` +
        `"other work" column; processes above 3% of a core):\n\n${lines.join('\n')}`
    : 'No other process took more than 3% of a core during any window.';
}

function latencySection(mk: ScenarioResult | undefined, pump: ScenarioResult | undefined): string {
  if (!mk?.latency || !pump?.latency) return '_Not measured in this run._';
  const a = mk.latency;
  const b = pump.latency;
  const rows = [
    ['Clusters matched (every viewer got them in the window)', String(a.clusters), String(b.clusters)],
    [
      'Inside: arrival → handed to every socket, p50 / p99 (`/status` fanout; the pump times its write loop)',
      `${ms(mk.insideFanout.p50Ms)} / ${ms(mk.insideFanout.p99Ms)}`,
      `${ms(pump.insideFanout.p50Ms)} / ${ms(pump.insideFanout.p99Ms)}`,
    ],
    [
      'Outside: feeder write → last byte at the **last** viewer, p50 / p99 / max',
      q(a.lastViewer),
      q(b.lastViewer),
    ],
    [
      'Outside: feeder write → last byte at the first viewer, p50 / p99 / max',
      q(a.firstViewer),
      q(b.firstViewer),
    ],
    [
      `Last viewer, keyframe Clusters only (${a.keyframes.clusters} / ${b.keyframes.clusters}), p50 / p99 / max`,
      q(a.keyframes),
      q(b.keyframes),
    ],
    [
      `Last viewer, other Clusters (${a.others.clusters} / ${b.others.clusters}), p50 / p99 / max`,
      q(a.others),
      q(b.others),
    ],
  ];
  return [
    table(['at 100 viewers', 'mkvcast', 'pump'], rows),
    '',
    `mkvcast minus pump, last viewer: p50 ${ms(a.lastViewer.p50Ms - b.lastViewer.p50Ms)} ms, ` +
      `p99 ${ms(a.lastViewer.p99Ms - b.lastViewer.p99Ms)} ms.`,
  ].join('\n');
}

function joinSection(r: BenchReport): string {
  const counts = r.config.viewerCounts;
  const at = counts.includes(100) ? 100 : counts[0];
  const mk = find(r.results, 'mkvcast', at);
  const pump = find(r.results, 'pump', at);
  if (!mk || !pump) return '_Not measured in this run._';
  const failed = (x: string[]): string => (x.length ? `; ${x.length} failed: ${x[0]}` : '');
  const frames = (x: number[]): string =>
    x.length ? `${ms(median(x))} (${ms(Math.min(...x))}–${ms(Math.max(...x))})` : '–';
  return [
    table(
      [`with ${at} viewers connected`, 'mkvcast', 'pump'],
      [
        [
          `New viewer, connect() → first keyframe byte, p50 / p99 / max (ms; ${mk.joins.count} joins one after another)`,
          q(mk.joins),
          q(pump.joins),
        ],
        [
          `\`ffmpeg -i URL -frames:v 1 -f null -\`, spawn → exit, median (min–max) of ${mk.firstFrame.times.length} (ms)`,
          frames(mk.firstFrame.times) + failed(mk.firstFrame.failures),
          frames(pump.firstFrame.times) + failed(pump.firstFrame.failures),
        ],
      ],
    ),
    '',
    `For comparison, the same command on the source file itself: ${frames(r.firstFrameFloorMs)} ms ` +
      `(ffmpeg's start-up, probing and first decode without a network).`,
  ].join('\n');
}

interface Goal {
  goal: string;
  measured: string;
  met: boolean | null;
}

function goals(r: BenchReport): Goal[] {
  const list: Goal[] = [];
  const pumpKept = r.config.viewerCounts
    .map((n) => ({ n, pump: find(r.results, 'pump', n), mk: find(r.results, 'mkvcast', n) }))
    .filter((x) => x.pump && x.mk && x.pump.window.realtime === x.n);
  list.push({
    goal: 'mkvcast keeps real time at every N where the pump does',
    measured: pumpKept.length
      ? pumpKept.map((x) => `${x.n}: ${x.mk!.window.realtime}/${x.n}`).join(', ')
      : 'the pump kept real time at no N',
    met: pumpKept.length ? pumpKept.every((x) => x.mk!.window.realtime === x.n) : null,
  });
  const mk500 = find(r.results, 'mkvcast', 500);
  const pump500 = find(r.results, 'pump', 500);
  if (mk500 && pump500) {
    const pairs = r.cpuPairs.length ? r.cpuPairs : [{ pump: pump500, mkvcast: mk500 }];
    const ratio = median(pairs.map((p) => p.mkvcast.cpu.serverPct / p.pump.cpu.serverPct));
    list.push({
      goal: `CPU at 500 viewers within ${GOALS.cpuRatioAt500}× the pump's`,
      measured:
        pairs.length > 1
          ? `median of ${pairs.length} pairs: ${fixed(ratio, 2)}× (mkvcast ` +
            `${pairs.map((p) => pct(p.mkvcast.cpu.serverPct)).join(', ')}; pump ` +
            `${pairs.map((p) => pct(p.pump.cpu.serverPct)).join(', ')} of a core)`
          : `${pct(mk500.cpu.serverPct)} vs ${pct(pump500.cpu.serverPct)} of a core: ${fixed(ratio, 2)}×`,
      met: ratio <= GOALS.cpuRatioAt500,
    });
    const peak = Math.max(...pairs.map((p) => p.mkvcast.memory.peakMb));
    list.push({
      goal: `RSS under ${GOALS.rssMbAt500} MB at 500 viewers (peak, VmHWM)`,
      measured: `${fixed(peak, 0)} MB at most over ${pairs.length} run${pairs.length > 1 ? 's' : ''} (pump ${fixed(Math.max(...pairs.map((p) => p.pump.memory.peakMb)), 0)} MB)`,
      met: peak < GOALS.rssMbAt500,
    });
  } else {
    list.push({ goal: 'CPU and RSS at 500 viewers', measured: 'not measured in this run', met: null });
  }
  const mk100 = find(r.results, 'mkvcast', 100);
  const pump100 = find(r.results, 'pump', 100);
  if (mk100 && mk100.joins.count > 0) {
    list.push({
      goal: `First keyframe byte under ${GOALS.firstKeyframeByteP99Ms} ms p99`,
      measured: `${ms(mk100.joins.p99Ms)} ms p99 (${mk100.joins.count} joins at 100 viewers)`,
      met: mk100.joins.p99Ms < GOALS.firstKeyframeByteP99Ms && mk100.joins.failed === 0,
    });
  }
  if (mk100 && mk100.firstFrame.times.length + mk100.firstFrame.failures.length > 0) {
    const m = median(mk100.firstFrame.times);
    list.push({
      goal: `A new viewer's first decoded frame under ${GOALS.firstFrameMedianMs / 1000} s median`,
      measured: `${fixed(m / 1000, 3)} s (ffmpeg alone on the file: ${fixed(median(r.firstFrameFloorMs) / 1000, 3)} s)`,
      met: m < GOALS.firstFrameMedianMs && mk100.firstFrame.failures.length === 0,
    });
  }
  if (mk100) {
    list.push({
      goal: `Added latency p99 under ${GOALS.addedLatencyP99Ms} ms at 100 viewers, from inside (/status fanout)`,
      measured: `${ms(mk100.insideFanout.p99Ms)} ms`,
      met: mk100.insideFanout.p99Ms < GOALS.addedLatencyP99Ms,
    });
  }
  if (mk100?.latency && pump100?.latency) {
    const added = mk100.latency.lastViewer.p99Ms - pump100.latency.lastViewer.p99Ms;
    list.push({
      goal: `… and from outside: feeder → last viewer, p99 of mkvcast minus p99 of the pump`,
      measured: `${ms(mk100.latency.lastViewer.p99Ms)} − ${ms(pump100.latency.lastViewer.p99Ms)} = ${ms(added)} ms`,
      met: added < GOALS.addedLatencyP99Ms,
    });
  }
  return list;
}

/** The functions with the most self time in either profile, side by side, as shares of each one's busy time. */
function comparisonTable(mk: ProfileSummary, pump: ProfileSummary): string {
  const key = (e: ProfileEntry): string => `${e.name} ${e.where}`;
  const names = new Map<string, { name: string; where: string }>();
  for (const e of [...mk.bySelf.slice(0, 10), ...pump.bySelf.slice(0, 8)]) names.set(key(e), e);
  const selfOf = (p: ProfileSummary, k: string): number => p.bySelf.find((e) => key(e) === k)?.selfPct ?? NaN;
  const cell = (share: number): string => (Number.isNaN(share) ? '–' : pct(share));
  const rows = [...names].map(([k, e]) => ({ e, mk: selfOf(mk, k), pump: selfOf(pump, k) }));
  rows.sort((a, b) => (Number.isNaN(b.mk) ? 0 : b.mk) - (Number.isNaN(a.mk) ? 0 : a.mk));
  return table(
    ['self time in', 'where', 'mkvcast', 'pump'],
    rows.map(({ e, mk: a, pump: b }) => [`\`${e.name}\``, e.where ? `\`${e.where}\`` : '', cell(a), cell(b)]),
  );
}

function profileSection(runs: ProfiledRun[], results: ScenarioResult[]): string {
  const mk = runs.find((r) => r.kind === 'mkvcast');
  const pump = runs.find((r) => r.kind === 'pump');
  if (!mk || !pump) return '_Not run (`--quick` or `--no-profile`)._';
  const split = (x: ScenarioResult): string =>
    `${pct(x.cpu.serverPct)} (${pct(x.cpu.serverPct - x.cpu.serverSystemPct)} user + ${pct(x.cpu.serverSystemPct)} system)`;
  const measured = (kind: TargetKind): string => {
    const run = find(results, kind, mk.viewers);
    return run ? ` against ${split(run)} in the measured run` : '';
  };
  return [
    `mkvcast and the pump run again with ${mk.viewers} viewers, each under \`node --cpu-prof\`, with the same ` +
      `warm-up and window: the profile covers the burst of joins, the streaming and the stop. The profiler is ` +
      `not free, and not equally so: over the window mkvcast used ${split(mk.result)} of a core under it` +
      `${measured('mkvcast')}; the pump ${split(pump.result)}${measured('pump')}. Its sampling signals make the ` +
      `system calls dearer, so read the shares within each profile rather than compare absolute times.`,
    '',
    `Self time as a share of the samples in which the process was busy (${pct(mk.summary.busyPct)} of ` +
      `mkvcast's, ${pct(pump.summary.busyPct)} of the pump's). A native call such as \`writev\` or ` +
      `\`writeBuffer\` includes Node's C++ for it and the system call; "–": not among that profile's top ` +
      `functions. Profiles, for Chrome DevTools: \`${mk.summary.file}\`, \`${pump.summary.file}\`.`,
    '',
    comparisonTable(mk.summary, pump.summary),
    '',
    "mkvcast's own functions by total time (with what they called), as a share of its busy samples:",
    '',
    table(
      ['function', 'where', 'self', '**total**'],
      mk.summary.serverByTotal
        .slice(0, 10)
        .map((e) => [`\`${e.name}\``, `\`${e.where}\``, pct(e.selfPct), pct(e.totalPct)]),
    ),
  ].join('\n');
}

function cpuPairsSection(pairs: CpuPair[]): string {
  if (pairs.length === 0) return '_Not run (`--quick`, or 500 viewers not in the run)._';
  const ratios = pairs.map((p) => p.mkvcast.cpu.serverPct / p.pump.cpu.serverPct);
  return [
    table(
      [
        'pair',
        'pump CPU (user + system)',
        'mkvcast CPU (user + system)',
        'ratio',
        'mkvcast RSS / peak (MB)',
        'in real time (pump, mkvcast)',
      ],
      pairs.map((p, i) => [
        `${i + 1}${i === 0 ? ' (the run above)' : i % 2 ? ' (mkvcast first)' : ''}`,
        `${pct(p.pump.cpu.serverPct)} (${pct(p.pump.cpu.serverPct - p.pump.cpu.serverSystemPct)} + ${pct(p.pump.cpu.serverSystemPct)})`,
        `${pct(p.mkvcast.cpu.serverPct)} (${pct(p.mkvcast.cpu.serverPct - p.mkvcast.cpu.serverSystemPct)} + ${pct(p.mkvcast.cpu.serverSystemPct)})`,
        `${fixed(ratios[i], 2)}×`,
        `${fixed(p.mkvcast.memory.rssMb, 0)} / ${fixed(p.mkvcast.memory.peakMb, 0)}`,
        `${p.pump.window.realtime}, ${p.mkvcast.window.realtime} of ${p.pump.viewers}`,
      ]),
    ),
    '',
    `Median ratio: **${fixed(median(ratios), 2)}×**.`,
  ].join('\n');
}

function readerSection(reader: ReaderBenchResult | null): string {
  if (!reader) return '_Not run (`--quick` or `--no-reader`)._';
  return [
    `\`benchReader()\` (bench/reader.ts): ${fixed(reader.bytes / 1e6, 1)} MB of 1080p30 H.264 + AAC at ` +
      `~8 Mbit/s, 64 KiB chunks, median of 5.`,
    '',
    table(
      ['reader', 'throughput', 'Clusters byte-exact'],
      [
        [
          'MatroskaReader (server/matroska/reader.ts)',
          `${reader.ours.mbPerSec} MB/s`,
          'yes (by construction)',
        ],
        [
          '`ebml` package Decoder',
          `${reader.ebmlPackage.mbPerSec} MB/s`,
          `${reader.ebmlPackage.byteExact ? 'yes' : 'no'} as ffmpeg writes them; ` +
            `${reader.ebmlPackage.byteExactUnknownSize ? 'yes' : 'no'} with unknown-size Clusters`,
        ],
      ],
    ),
    '',
    `MatroskaReader is ${fixed(reader.ours.mbPerSec / reader.ebmlPackage.mbPerSec, 0)}× faster.`,
  ].join('\n');
}

export function renderReport(r: BenchReport): string {
  const { machine: m, source: s, config: c } = r;
  const minutes = (r.finishedAt.getTime() - r.startedAt.getTime()) / 60_000;
  const framing = r.results.find((x) => x.kind === 'mkvcast')?.framing ?? 'close';
  const mk100 = find(r.results, 'mkvcast', 100) ?? r.results.find((x) => x.kind === 'mkvcast');
  const pump100 = find(r.results, 'pump', mk100?.viewers ?? 100);
  const goalRows = goals(r).map((g) => [
    g.goal,
    g.measured,
    g.met === null ? '–' : g.met ? '**met**' : '**not met**',
  ]);
  const measuredCounts = [...new Set(r.results.map((x) => x.viewers))];
  const pumpAtLimit = r.results.filter((x) => x.kind === 'pump' && x.window.meanShare < 0.95);
  const stop =
    (r.pumpFellBehindAt === null
      ? `The pump kept real time at every N measured (${measuredCounts.join(', ')}).`
      : `The pump fell behind at ${r.pumpFellBehindAt} viewers, so the run went no further.`) +
    pumpAtLimit
      .map(
        (x) =>
          ` At ${x.viewers} viewers the pump delivered ${fixed(x.window.meanShare * 100, 0)}% of the source's ` +
          `rate on average, with ${pct(x.cpu.serverPct)} of its one core: at its limit.`,
      )
      .join('');
  return `# mkvcast benchmarks

Measured by \`npm run bench\` (\`bench/run.ts\`)${c.quick ? ' **in --quick mode (short windows)**' : ''} on
${r.startedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC, in ${fixed(minutes, 1)} minutes. Run it again to
reproduce every figure here; nothing is typed in by hand except the peers' figures (marked).

## Machine

${table(
  ['', ''],
  [
    ['CPUs (nproc)', `${m.cpus} × ${m.cpuModel}`],
    ['Memory', `${m.memoryGb} GB`],
    ['Kernel', m.kernel],
    ['Node.js', m.node],
    ['ffmpeg', m.ffmpeg],
    ['`net.core.somaxconn` / `tcp_max_syn_backlog`', `${m.somaxconn} / ${m.synBacklog}`],
    ['Open files limit', m.openFilesLimit],
  ],
)}

## Source

${table(
  ['', ''],
  [
    [
      'Video (ffprobe)',
      `${s.probe.codec} ${s.probe.width}x${s.probe.height}, ${s.probe.fps} fps, ${s.probe.packets} frames`,
    ],
    ['Bitrate (ffprobe, video packets)', `${(s.probe.videoKbps / 1000).toFixed(2)} Mbit/s`],
    ['Bitrate as served (whole Clusters)', `${(s.streamKbps / 1000).toFixed(2)} Mbit/s`],
    [
      'Clusters',
      `${s.clusters} in ${fixed(s.durationMs / 1000, 1)} s (${fixed(s.probe.packets / s.clusters, 2)} frames each); keyframe ${fixed(s.keyframeClusterBytes / 1000, 0)} KB, others ${fixed(s.otherClusterBytes / 1000, 0)} KB on average`,
    ],
    ['Made with', `\`ffmpeg ${SOURCE_ARGS.join(' ')} pipe:1\``],
  ],
)}

## Method

- **Everything on loopback (127.0.0.1), all processes on this machine.** A *feeder* process writes the
  source's init header and then its Clusters in real time (each at its timestamp, the file looped with
  continuing timestamps) into a pipe that is the stdin of the process under test, and logs
  \`process.hrtime.bigint()\` as each write returns (stdout to a pipe is synchronous in Node on Linux, so the
  whole Cluster is in the pipe by then).
- **mkvcast** runs as its own process: \`node bin/mkvcast.js serve - --host 127.0.0.1 --port 0 --max-viewers 5000 --max-viewers-per-address 5000\`
  (Matroska on stdin is read as is: no ffmpeg child).
- **The raw pump** (\`bench/pump.ts\`, its own process) is the machine's limit: it reads the same stdin with
  MatroskaReader and writes each Cluster Buffer to every socket, one \`write()\` each, with no HTTP parsing,
  no per-viewer logic and **backpressure ignored** (Node queues what the kernel does not take; nothing is
  dropped). A new socket gets the same HTTP head, the init header and the current GOP. Its listen backlog
  is 4096, the same as the server's. mkvcast answered the bench's HTTP/1.1 requests with a
  ${framing === 'chunked' ? '**chunked** body (`Transfer-Encoding: chunked`, one chunk per Cluster)' : '**close-delimited** body'},
  so the pump ${framing === 'chunked' ? 'frames each Buffer as a chunk once, as it arrives, and writes that one Buffer to every socket' : 'writes the bare Buffers'}:
  the same bytes on the wire.
- **Viewers**: ${c.viewerProcesses} separate Node processes with raw \`net\` sockets sending \`GET /live.mkv HTTP/1.1\`;
  all N \`connect()\` calls are made in the same tick (the listen backlog takes the burst). Each socket reads
  into a buffer shared by the process (\`onread\`), counts bytes and walks the Matroska elements. After a
  ${c.warmupMs / 1000} s warm-up, a ${c.windowMs / 1000} s window: a viewer is **in real time** when it received
  at least ${REALTIME_SHARE * 100}% of the source's bytes for the window's length.
- **CPU** is utime + stime from \`/proc/PID/stat\` over the window, as a share of one core (utime is user space:
  JavaScript and Node's C++; stime is the kernel working for the process, mostly the socket writes); **RSS** is VmRSS at the
  end of the window and VmHWM (peak) from \`/proc/PID/status\`; the viewer processes and the machine as a whole
  are shown too, since they share the ${m.cpus} cores with the server.
- **Latency** at 100 viewers: each viewer notes when each Cluster's last byte arrived, keyed by the Cluster's
  last ${CLUSTER_KEY_BYTES} bytes (the part after the Cluster Timestamp is the same for every viewer and for the pump); the
  key is matched to the feeder's write. Per Cluster, the time to the *last* viewer is what "handed to every
  socket" means; the pump's figure over the same path is the floor. The fan-out the server reports itself
  (\`/status\` \`fanout\`, last 512 Clusters) is shown beside it.
- **Joining**, with the 100 viewers still connected: ${c.joins} new viewers one after another, each timed from
  \`connect()\` to the first byte of its first Cluster (ID 1F 43 B6 75 after the HTTP head and the init header);
  then \`ffmpeg -v error -i URL -frames:v 1 -f null -\`, spawn to exit, ${c.firstFrames} runs.
- N = ${c.viewerCounts.join(', ')}, the pump then mkvcast at each N, stopping after the N at which the pump falls
  behind. ${stop}

## Fan-out: N viewers, mkvcast and the raw pump

${fanoutTable(r.results)}

Rates are per viewer, as a share of the source's rate over the window. "All at once" is the burst of N
\`connect()\` calls: time from each one to its first keyframe byte, and the kernel's count of connections dropped at the listen
queue (\`ListenDrops\`) and of TCP retransmission timeouts during the burst (a dropped SYN costs 1 s). "Feeder" is the rate it managed to write
(100%: it kept real time) and how late its latest write was against the schedule. "Whole machine" is the
busy time of all cores (up to ${m.cpus * 100}%) and, in brackets, the part in interrupts (irq + softirq, where
the kernel does most of loopback TCP's receive work, charged to no process) and the part other processes took.

${saturation(r.results, m.cpus)}

${otherWork(r.results)}

mkvcast over the pump, same N (user space is JavaScript and Node's C++; the kernel part is mostly the socket
writes themselves):

${ratioTable(r.results)}

## CPU at 500 viewers, measured again

The CPU goal's N in ${r.cpuPairs.length || 'no'} pump/mkvcast pairs, the order alternating, so that the ratio is a
median and not one draw (a single run's CPU figure moves by about 10% from one run to the next on this machine).

${cpuPairsSection(r.cpuPairs)}

## Server-added latency

${latencySection(mk100, pump100)}

## A new viewer

${joinSection(r)}

## Goals

${table(['goal', 'measured', ''], goalRows)}

## For context: peers measured before on this machine, same stream (not re-measured by this run)

${table(
  ['server', 'new viewer to first frame', 'load'],
  [
    ["GStreamer's tcpserversink", '0.12–0.39 s', ''],
    ["ffmpeg's own `-listen`", '0.35 s', ''],
    ['Icecast', '0.4–1.0 s', ''],
    ['VLC (HTTP output)', '1.8–2.0 s', '1000 viewers at 46–48% of a core'],
    ['a raw pump', '', '500 viewers at ~16% of one core, ~70 MB RSS'],
  ],
)}

## Where the time goes

${profileSection(r.profiles, r.results)}

## EBML reader

${readerSection(r.reader)}
`;
}
