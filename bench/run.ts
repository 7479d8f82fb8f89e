/**
 * `npm run bench`: mkvcast's fan-out against a raw loopback pump on the same machine, same stream, same
 * viewers, in the same run; then the EBML reader (bench/reader.ts). Prints the report and writes it to
 * docs/benchmarks.md.
 *
 *   node dist/bench/run.js            the full run (100, 500, 1000, 2000, 2500, 3000 viewers, stopping
 *                                     once the pump falls behind), then the reader, screen latency, encoder
 *                                     faults, HTTP abuse and a 30-minute soak: about 45 minutes
 *   node dist/bench/run.js --quick    a smoke run: 100 viewers, short windows, no profile, no reader;
 *                                     printed only (unless --out is given)
 * Options: --viewers 100,500  --out FILE  --no-profile  --no-reader  --no-glass (screen-sharing latency)
 *   --no-quality (picture quality per bit on the screen test set; quick: two 5 s clips, two presets)
 *   --no-audio-sync (sound against the picture, bench/audio-sync.ts)
 *   --no-faults (encoder recovery after SIGKILL/SIGSTOP)  --no-abuse (HTTP abuse)  --no-relay (Icecast relay,
 *   needs root for ip netns)  --soak-minutes N (default 30; 0 skips)
 *   --no-wayland (Wayland beside X11)
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ffmpegPath } from '../support/media.js';
import { killAll } from './children.js';
import { firstFrameRuns } from './first-frame.js';
import { machineCpuSec, machineInfo } from './proc.js';
import { summariseProfile } from './profile.js';
import { benchReader, type ReaderBenchResult } from './reader.js';
import { abuseSection, type AbuseRow } from './abuse.js';
import { benchFaults, faultsSection, type FaultsResult } from './faults.js';
import { benchSoak, soakSection, type SoakResult } from './soak.js';
import { benchGlass, glassSection, type GlassResult } from './glass.js';
import { benchRelay, relaySection, type RelayResult } from './relay.js';
import { benchWayland, type CaptureBenchResult, waylandSection } from './wayland.js';
import {
  benchPresetLatency,
  benchQuality,
  presetCandidates,
  qualitySection,
  type LatencyRow,
  type QualityRow,
} from './quality.js';
import { makeTestset, CLIP_NAMES } from './testset.js';
import { benchWebRtc, webrtcSection, type WebRtcBenchResult } from './webrtc.js';
import { audioSyncSection, benchAudioSync, type AudioSyncResult } from './audio-sync.js';
import { BALANCED_KBPS, benchWebRtcScale, webrtcScaleSection, type ScaleRow } from './webrtc-scale.js';
import { benchWebRtcLoss, webrtcLossSection, type LossResult } from './webrtc-loss.js';
import { renderReport, type BenchConfig, type CpuPair, type ProfiledRun } from './report.js';
import { runScenario, type ScenarioOptions, type ScenarioResult } from './scenario.js';
import { framingOf, type TargetKind } from './targets.js';
import { describeSource, makeSource } from '../support/source.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOST = '127.0.0.1';
const LATENCY_VIEWERS = 100;
/**
 * Profiles are taken with this many viewers: enough for the per-viewer costs to dominate, few enough that
 * neither process saturates its core under the profiler (which would change what it does).
 */
const PROFILE_VIEWERS = 1000;
/** The N of the CPU goal, and how many pump/mkvcast pairs measure it (the first is the main run's). */
const CPU_GOAL_VIEWERS = 500;
const CPU_GOAL_PAIRS = 3;
/** The whole run stops after this long, plus the soak's minutes (a hung run must not go on for ever). */
const WATCHDOG_MS = 30 * 60_000;
/**
 * Other sessions may run their own tests on this machine. A window during which other work took more
 * than this much CPU (% of one core) is measured again, up to MAX_ATTEMPTS times; the quietest is kept.
 */
const OTHER_WORK_LIMIT_PCT = 15;
const MAX_ATTEMPTS = 3;
const QUIET_WAIT_MS = 20_000;
/** Past this long into the run, no more waiting or measuring again: the run stays near its ~10 minutes. */
const PATIENCE_MS = 11 * 60_000;
const runStartedMs = Date.now();
const patient = (): boolean => Date.now() - runStartedMs < PATIENCE_MS;

function config(argv: string[]): BenchConfig & {
  out: string | null;
  profile: boolean;
  reader: boolean;
  glass: boolean;
  wayland: boolean;
  quality: boolean;
  audioSync: boolean;
  faults: boolean;
  abuse: boolean;
  relay: boolean;
  soakMinutes: number;
} {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      viewers: { type: 'string' },
      out: { type: 'string' },
      'no-profile': { type: 'boolean' },
      'no-reader': { type: 'boolean' },
      'no-glass': { type: 'boolean' },
      'no-wayland': { type: 'boolean' },
      'no-quality': { type: 'boolean' },
      'no-audio-sync': { type: 'boolean' },
      'no-faults': { type: 'boolean' },
      'no-abuse': { type: 'boolean' },
      'no-relay': { type: 'boolean' },
      'soak-minutes': { type: 'string' },
    },
  });
  const quick = values.quick ?? false;
  const viewerCounts = (values.viewers ?? (quick ? '100' : '100,500,1000,2000,2500,3000'))
    .split(',')
    .map(Number);
  if (viewerCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 5000)) {
    throw new Error('--viewers takes counts from 1 to 5000, e.g. --viewers 100,500');
  }
  return {
    quick,
    viewerCounts,
    warmupMs: quick ? 1000 : 3000,
    // 15 s + 3 s: /status's fanout (the last 512 Clusters, 17 s) then covers only Clusters sent to all N.
    windowMs: quick ? 3000 : 15_000,
    joins: quick ? 10 : 50,
    firstFrames: quick ? 3 : 10,
    viewerProcesses: 2,
    out: values.out ?? (quick ? null : path.join(ROOT, 'docs', 'benchmarks.md')),
    profile: !quick && !values['no-profile'],
    reader: !quick && !values['no-reader'],
    glass: !quick && !values['no-glass'],
    wayland: !quick && !values['no-wayland'],
    quality: !values['no-quality'],
    audioSync: !quick && !values['no-audio-sync'],
    faults: !quick && !values['no-faults'],
    abuse: !quick && !values['no-abuse'],
    relay: !quick && !values['no-relay'],
    soakMinutes: quick ? 0 : Number(values['soak-minutes'] ?? 30),
  };
}

/** bench/abuse.js in a process of its own (it starts and stops its own rig), read back from its JSON. */
async function runAbuseBench(): Promise<AbuseRow[] | null> {
  const json = path.join(await mkdtemp(path.join(os.tmpdir(), 'mkvcast-abuse-')), 'abuse.json');
  const script = fileURLToPath(new URL('./abuse.js', import.meta.url));
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [script, '--json', json], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('close', resolve);
  });
  if (code !== 0) progress(`bench/abuse.js exited ${code}: a goal was missed (see its lines above)`);
  try {
    return (JSON.parse(await readFile(json, 'utf8')) as { rows: AbuseRow[] }).rows;
  } catch {
    return null;
  }
}

function progress(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

function describe(r: ScenarioResult): string {
  return (
    `${r.kind} × ${r.viewers}: ${r.window.realtime}/${r.viewers} in real time ` +
    `(mean ${(r.window.meanShare * 100).toFixed(0)}% of the source), CPU ${r.cpu.serverPct.toFixed(1)}%, ` +
    `RSS ${r.memory.rssMb.toFixed(0)} MB (peak ${r.memory.peakMb.toFixed(0)}), ` +
    `other work on the machine ${r.cpu.otherPct.toFixed(0)}% of a core`
  );
}

/**
 * Waits (up to QUIET_WAIT_MS) for a second in which the machine is nearly idle. Nothing of the bench runs
 * between scenarios, so what keeps the cores busy then is other work.
 */
async function waitForQuiet(): Promise<void> {
  if (!patient()) return;
  const deadline = Date.now() + QUIET_WAIT_MS;
  for (;;) {
    const before = machineCpuSec().processSec;
    await sleep(1000);
    const busyPct = (machineCpuSec().processSec - before) * 100;
    if (busyPct <= OTHER_WORK_LIMIT_PCT) return;
    if (Date.now() >= deadline) {
      progress(`other work keeps ${busyPct.toFixed(0)}% of a core busy; measuring anyway`);
      return;
    }
  }
}

async function quietestOf(options: ScenarioOptions): Promise<ScenarioResult> {
  let best: ScenarioResult | null = null;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    await waitForQuiet();
    const result = await runScenario(options);
    if (!best || result.cpu.otherPct < best.cpu.otherPct) best = { ...result, attempts: attempt };
    else best.attempts = attempt;
    if (result.cpu.otherPct <= OTHER_WORK_LIMIT_PCT) break;
    const again = attempt < MAX_ATTEMPTS && patient();
    progress(
      `other work took ${result.cpu.otherPct.toFixed(0)}% of a core during the window` +
        (again ? ': measuring again' : ': keeping the quietest run'),
    );
    if (!again) break;
  }
  return best as ScenarioResult;
}

/** The report as Prettier would write it (the repository's lint checks docs/ too); as is without Prettier. */
async function formatted(markdown: string, file: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(markdown, { ...options, filepath: file });
  } catch (error) {
    progress(`could not format the report with Prettier (${(error as Error).message}); writing it as is`);
    return markdown;
  }
}

type ScenarioBase = Omit<ScenarioOptions, 'kind' | 'viewers' | 'latency' | 'joins' | 'firstFrames'>;

/** `kind` with `viewers` viewers under `node --cpu-prof`; the profile is kept in os.tmpdir(). */
async function profiled(base: ScenarioBase, kind: TargetKind, viewers: number): Promise<ProfiledRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mkvcast-bench-prof-'));
  try {
    progress(`${kind} × ${viewers} under node --cpu-prof…`);
    await waitForQuiet();
    const result = await runScenario({
      ...base,
      kind,
      viewers,
      latency: false,
      joins: 0,
      firstFrames: 0,
      cpuProfileDir: dir,
    });
    const summary = await summariseProfile(dir, ROOT);
    const kept = path.join(os.tmpdir(), `mkvcast-bench-${kind}-${viewers}-viewers.cpuprofile`);
    await copyFile(summary.file, kept);
    return { kind, viewers, result, summary: { ...summary, file: kept } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const cfg = config(process.argv.slice(2));
  armWatchdog(WATCHDOG_MS + cfg.soakMinutes * 60_000);
  const startedAt = new Date();
  const machine = machineInfo(ffmpegPath);
  progress(`${machine.cpus} × ${machine.cpuModel}, node ${machine.node}; making the source…`);
  const sourceFile = await makeSource();
  const source = await describeSource(sourceFile);
  const sourceBytesPerSec = (source.streamKbps * 1000) / 8;
  progress(
    `source ${source.probe.width}x${source.probe.height} ${source.probe.codec} ${source.streamKbps} kbit/s`,
  );

  const pumpFraming = await framingOf({ sourceFile, host: HOST, maxSec: 60 });
  progress(
    `mkvcast answers HTTP/1.1 with a ${pumpFraming === 'chunked' ? 'chunked' : 'close-delimited'} body; so will the pump`,
  );
  const base: ScenarioBase = {
    pumpFraming,
    sourceFile,
    host: HOST,
    sourceBytesPerSec,
    warmupMs: cfg.warmupMs,
    windowMs: cfg.windowMs,
    ffmpeg: ffmpegPath,
    viewerProcesses: cfg.viewerProcesses,
  };
  const results: ScenarioResult[] = [];
  let pumpFellBehindAt: number | null = null;
  for (const viewers of cfg.viewerCounts) {
    const extras = viewers === LATENCY_VIEWERS || cfg.viewerCounts.length === 1;
    for (const kind of ['pump', 'mkvcast'] as const) {
      progress(`${kind} × ${viewers}…`);
      const result = await quietestOf({
        ...base,
        kind,
        viewers,
        latency: extras,
        joins: extras ? cfg.joins : 0,
        firstFrames: extras ? cfg.firstFrames : 0,
      });
      results.push(result);
      progress(describe(result));
    }
    const pump = results.find((r) => r.kind === 'pump' && r.viewers === viewers);
    if (pump && pump.window.realtime < viewers) {
      pumpFellBehindAt = viewers;
      progress(`the pump fell behind at ${viewers} viewers: not going further`);
      break;
    }
  }

  const firstFrameFloorMs = (await firstFrameRuns(ffmpegPath, sourceFile, cfg.firstFrames)).times;

  // The CPU goal's N again, in alternating order, so that the ratio is a median and not one draw.
  const cpuPairs: CpuPair[] = [];
  const first = {
    pump: results.find((r) => r.kind === 'pump' && r.viewers === CPU_GOAL_VIEWERS),
    mkvcast: results.find((r) => r.kind === 'mkvcast' && r.viewers === CPU_GOAL_VIEWERS),
  };
  if (first.pump && first.mkvcast && !cfg.quick) {
    cpuPairs.push({ pump: first.pump, mkvcast: first.mkvcast });
    for (let i = 1; i < CPU_GOAL_PAIRS; i++) {
      const pair: Partial<CpuPair> = {};
      for (const kind of i % 2 ? (['mkvcast', 'pump'] as const) : (['pump', 'mkvcast'] as const)) {
        progress(`${kind} × ${CPU_GOAL_VIEWERS} again (CPU pair ${i + 1} of ${CPU_GOAL_PAIRS})…`);
        pair[kind] = await quietestOf({
          ...base,
          kind,
          viewers: CPU_GOAL_VIEWERS,
          latency: false,
          joins: 0,
          firstFrames: 0,
        });
      }
      cpuPairs.push(pair as CpuPair);
    }
  }

  const profiles: ProfiledRun[] = [];
  if (cfg.profile) {
    for (const kind of ['mkvcast', 'pump'] as const)
      profiles.push(await profiled(base, kind, PROFILE_VIEWERS));
  }

  let reader: ReaderBenchResult | null = null;
  if (cfg.reader) {
    progress('EBML reader (bench/reader.ts)…');
    reader = await benchReader();
  }

  let glass: GlassResult[] | null = null;
  if (cfg.glass) {
    progress('screen sharing, glass to glass (bench/glass.ts)…');
    glass = await benchGlass();
  }

  let wayland: CaptureBenchResult[] | null = null;
  if (cfg.wayland) {
    progress('screen sharing on Wayland beside X11, 1280×720@30 (bench/wayland.ts)…');
    wayland = await benchWayland();
  }

  // Picture quality per bit (bench/quality.ts): quick makes two short clips and compares today's
  // default with the new one; the full run makes the whole test set and measures every preset.
  let quality: QualityRow[] | null = null;
  let presetLatency: LatencyRow[] | null = null;
  const qualitySeconds = cfg.quick ? 4 : 20;
  if (cfg.quality) {
    progress('picture quality per bit (bench/testset.ts, bench/quality.ts)…');
    const clips = cfg.quick ? (['terminal', 'video'] as const) : CLIP_NAMES;
    await makeTestset({ seconds: cfg.quick ? 5 : 20, only: clips, force: false });
    const candidates = presetCandidates().filter((c) => !cfg.quick || ['5000', 'balanced'].includes(c.name));
    quality = await benchQuality({ seconds: qualitySeconds, clips, candidates });
    if (!cfg.quick) presetLatency = await benchPresetLatency(['5000', 'text', 'balanced', 'motion'], 10, 3);
  }

  let webrtc: WebRtcBenchResult | null = null;
  if (cfg.glass) {
    progress('WebRTC viewers: glass to glass and join in Chromium (bench/webrtc.ts)…');
    webrtc = await benchWebRtc();
  }
  let webrtcScale: ScaleRow[] | null = null;
  if (cfg.glass && !cfg.quick) {
    progress(
      'WebRTC viewers: 50 viewers (3 Chromium pages) beside 50 HTTP viewers at 720p and 1080p (bench/webrtc-scale.ts)…',
    );
    webrtcScale = [
      ...(await benchWebRtcScale({ height: 720, bitrateKbps: BALANCED_KBPS[720] })),
      ...(await benchWebRtcScale({ height: 1080, bitrateKbps: BALANCED_KBPS[1080] })),
    ];
  }
  const webrtcLoss: LossResult[] = [];
  if (cfg.glass && !cfg.quick && process.getuid?.() === 0) {
    progress('WebRTC viewers: Chromium behind a lossy link (bench/webrtc-loss.ts, ip netns + nftables)…');
    for (const percent of [0, 5, 20]) webrtcLoss.push(await benchWebRtcLoss(15, percent));
  }

  let audioSync: AudioSyncResult | null = null;
  if (cfg.audioSync) {
    progress('sound with the picture: sync and latency (bench/audio-sync.ts)…');
    audioSync = await benchAudioSync();
  }

  let faults: FaultsResult | null = null;
  if (cfg.faults) {
    progress('encoder faults: recovery after SIGKILL and SIGSTOP (bench/faults.ts)…');
    faults = await benchFaults();
  }

  let abuse: AbuseRow[] | null = null;
  if (cfg.abuse) {
    progress('HTTP abuse while 10 viewers watch (bench/abuse.ts, ~1 min)…');
    abuse = await runAbuseBench();
  }

  let relay: RelayResult | null = null;
  if (cfg.relay) {
    progress('relay: 200 viewers on Icecast, the sharer in its own network namespace (bench/relay.ts)…');
    relay = await benchRelay().catch((error: Error) => {
      progress(`relay bench skipped: ${error.message}`);
      return null;
    });
  }

  let soak: SoakResult | null = null;
  if (cfg.soakMinutes > 0) {
    progress(`soak: 50 viewers for ${cfg.soakMinutes} minutes (bench/soak.ts)…`);
    soak = await benchSoak(cfg.soakMinutes, (line) => progress(`soak: ${line}`));
  }

  const report =
    renderReport({
      config: cfg,
      startedAt,
      finishedAt: new Date(),
      machine,
      source,
      results,
      pumpFellBehindAt,
      firstFrameFloorMs,
      cpuPairs,
      profiles,
      reader,
    }) +
    glassSection(glass) +
    waylandSection(wayland) +
    qualitySection(quality, presetLatency, qualitySeconds) +
    webrtcSection(webrtc) +
    audioSyncSection(audioSync) +
    webrtcScaleSection(webrtcScale) +
    webrtcLossSection(webrtcLoss) +
    faultsSection(faults) +
    abuseSection(abuse) +
    relaySection(relay) +
    soakSection(soak);
  process.stdout.write(report);
  const raw = path.join(
    os.tmpdir(),
    'mkvcast-bench',
    `results-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`,
  );
  await writeFile(
    raw,
    JSON.stringify(
      {
        machine,
        source,
        config: cfg,
        results,
        cpuPairs,
        profiles,
        reader,
        glass,
        wayland,
        quality,
        presetLatency,
        audioSync,
        faults,
        abuse,
        relay,
        soak,
      },
      null,
      2,
    ),
  );
  progress(`raw results in ${raw}`);
  if (cfg.out) {
    await writeFile(cfg.out, await formatted(report, cfg.out));
    progress(`wrote ${path.relative(process.cwd(), cfg.out)}`);
  }
}

function armWatchdog(ms: number): void {
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: still running after ${ms / 60_000} minutes; stopping.\n`);
    killAll();
    process.exit(1);
  }, ms);
  watchdog.unref();
}
process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});
process.on('exit', killAll);

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    killAll();
    process.exit(1);
  },
);
