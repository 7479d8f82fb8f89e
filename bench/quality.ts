/**
 * Picture quality per bit: each clip of the test set (bench/testset.ts) is encoded with candidate
 * settings through the same low-latency arguments as `share` (libx264 veryfast, zerolatency, a keyframe
 * every second, one frame rate), then compared against the lossless source: bitrate, SSIM and PSNR (this
 * ffmpeg has no libvmaf), and the encoder's CPU (user + system of the ffmpeg child, from /proc at exit via
 * GNU time). Today's low/medium/high presets are the baseline in the same run.
 *
 * SSIM and PSNR are computed in 4:4:4 on both sides, so that what 4:2:0 does to coloured text counts; the
 * figure given is the mean over Y, U and V (ffmpeg's "All"). A candidate at a lower frame rate is compared
 * as a viewer sees it: each frame held until the next.
 *
 *   node dist/bench/quality.js [--quick] [--seconds N] [--only terminal,slides] [--candidates a,b] [--explore] [--balanced] [--retime]
 *   node dist/bench/quality.js --latency [--qualities 5000,balanced] [--turns 10] [--rounds 4]
 *
 * A candidate or quality with colons, e.g. `crf24:cap4900:buf0.5`, is a bench-only variant of the default
 * preset (bench/variant.ts): encoded through the production arguments, and shared through the real
 * `share` with PRESETS.balanced swapped for it, so a setting can be tried without editing PRESETS.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encodeArgs, PRESETS } from '../server/ffmpeg/capture.js';
import type { Settings } from '../server/api.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../support/ports.js';
import { killAll, runToExit, spawnTracked, waitFor } from '../support/processes.js';
import { startXvfb } from '../support/xvfb.js';
import { measureLatency, pixelViewer, summarise, type LatencyResult } from './glass.js';
import { CLIP_FPS, CLIP_HEIGHT, CLIP_NAMES, CLIP_WIDTH, clipPath, type ClipName } from './testset.js';
import { isVariant, parseVariant } from './variant.js';

const SCREEN = {
  id: 'bench',
  name: 'bench',
  x: 0,
  y: 0,
  width: CLIP_WIDTH,
  height: CLIP_HEIGHT,
  scaleFactor: 1,
  primary: true,
};

export interface Candidate {
  name: string;
  /** What it is, for the table. */
  about: string;
  /** Output frame rate (the input is held or dropped to it). */
  fps: number;
  /** Encoder arguments, as captureArgs puts them after the grab. */
  args: string[];
}

/** A preset as `share` encodes it: the production argument builder, nothing copied. */
function preset(quality: Settings['quality'], about: string): Candidate {
  return {
    name: String(quality),
    about,
    fps: CLIP_FPS,
    args: encodeArgs({ fps: CLIP_FPS, keyframeIntervalSec: 1, quality }, SCREEN, 'libx264'),
  };
}

/**
 * A bench-only variant of the default preset (bench/variant.ts: `crf24:cap4800:buf0.5`), through the
 * production argument builder with PRESETS.balanced swapped for the call.
 */
export function variantCandidate(spec: string): Candidate {
  const saved = { ...PRESETS.balanced };
  Object.assign(PRESETS.balanced, parseVariant(spec));
  try {
    return { ...preset('balanced', `variant ${spec}`), name: spec };
  } finally {
    delete PRESETS.balanced.bufferSec;
    Object.assign(PRESETS.balanced, saved);
  }
}

/** libx264 as share runs it, with the rate control and extra options given. */
function x264(
  name: string,
  about: string,
  rate: string[],
  extra: string[] = [],
  fps = CLIP_FPS,
  pixFmt = 'yuv420p',
): Candidate {
  const gop = String(fps);
  return {
    name,
    about,
    fps,
    args: [
      '-vf',
      'scale=trunc(iw/2)*2:trunc(ih/2)*2',
      '-pix_fmt',
      pixFmt,
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-tune',
      'zerolatency',
      '-g',
      gop,
      '-keyint_min',
      gop,
      '-sc_threshold',
      '0',
      ...rate,
      ...extra,
    ],
  };
}

const capped = (crf: number, maxKbps: number): string[] => [
  '-crf',
  String(crf),
  '-maxrate',
  `${maxKbps}k`,
  '-bufsize',
  `${Math.round(maxKbps / 2)}k`,
];

/** Exploration: what each knob does on its own, against capped CRF 23 at 1.5 Mbit/s. */
export function exploreCandidates(): Candidate[] {
  const withTune = (tune: string): string[] => ['-tune', `zerolatency,${tune}`];
  return [
    x264('crf23', 'CRF 23, no cap', ['-crf', '23']),
    x264('crf23-1500', 'CRF 23, capped at 1500k', capped(23, 1500)),
    x264('crf26-1500', 'CRF 26, capped at 1500k', capped(26, 1500)),
    x264('crf20-1500', 'CRF 20, capped at 1500k', capped(20, 1500)),
    x264('still-1500', 'CRF 23 capped 1500k, tune stillimage', capped(23, 1500), withTune('stillimage')),
    x264('anim-1500', 'CRF 23 capped 1500k, tune animation', capped(23, 1500), withTune('animation')),
    x264('aq3-1500', 'CRF 23 capped 1500k, aq-mode 3', capped(23, 1500), ['-aq-mode', '3']),
    x264('444-1500', 'CRF 23 capped 1500k, 4:4:4', capped(23, 1500), [], CLIP_FPS, 'yuv444p'),
    x264('fps15-1500', 'CRF 23 capped 1500k, 15 fps', capped(23, 1500), [], 15),
    x264('crf24-5000', 'CRF 24, capped at 5000k', capped(24, 5000)),
    x264('crf23-1500-buf1s', 'CRF 23 capped 1500k, 1 s buffer', [
      '-crf',
      '23',
      '-maxrate',
      '1500k',
      '-bufsize',
      '1500k',
    ]),
    x264('ip1-1500', 'CRF 23 capped 1500k, keyframes at the P-frame QP (ipratio 1)', capped(23, 1500), [
      '-x264-params',
      'ipratio=1.0',
    ]),
  ];
}

/** A capped CRF with the VBV buffer given in seconds of the cap (share uses half a second). */
const cappedBuf = (crf: number, maxKbps: number, bufferSec: number): string[] => [
  '-crf',
  String(crf),
  '-maxrate',
  `${maxKbps}k`,
  '-bufsize',
  `${Math.round(maxKbps * bufferSec)}k`,
];

/**
 * Tuning the default for motion: on the video clip it must reach today's medium SSIM at no more than
 * today's medium bitrate (it sits at the cap there, so the cap and the buffer decide, not the CRF).
 */
export function balancedCandidates(): Candidate[] {
  return [
    x264('b-crf24-4950', 'CRF 24 capped 4950k, 0.5 s buffer (balanced before)', cappedBuf(24, 4950, 0.5)),
    x264('b-crf23-4800', 'CRF 23 capped 4800k, 0.5 s buffer', cappedBuf(23, 4800, 0.5)),
    x264('b-crf24-4800', 'CRF 24 capped 4800k, 0.5 s buffer', cappedBuf(24, 4800, 0.5)),
    x264('b-crf24-4800-b1', 'CRF 24 capped 4800k, 1 s buffer', cappedBuf(24, 4800, 1)),
    x264('b-crf23-4650-b1', 'CRF 23 capped 4650k, 1 s buffer', cappedBuf(23, 4650, 1)),
    x264('b-crf24-4650', 'CRF 24 capped 4650k, 0.5 s buffer', cappedBuf(24, 4650, 0.5)),
  ];
}

/** Today's presets, then the new ones. */
export function presetCandidates(): Candidate[] {
  return [
    // Today's presets at 1080p30 were CBR at 0.04, 0.08 and 0.15 bits per pixel per frame; a number is
    // the same CBR path.
    preset(2500, "today's low (CBR 2500k)"),
    preset(5000, "today's medium (CBR 5000k, the default)"),
    preset(9350, "today's high (CBR 9350k)"),
    preset('text', 'Text and slides'),
    preset('balanced', 'Balanced (the default)'),
    preset('motion', 'Motion'),
    preset('text444', 'Sharpest text, 4:4:4'),
  ];
}

export interface QualityRow {
  clip: ClipName;
  candidate: string;
  about: string;
  kbps: number;
  ssim: number;
  ssimY: number;
  psnrDb: number;
  /** Encoder CPU seconds per second of video (1.0 = one core kept busy). */
  cpuPerSec: number;
  /**
   * The largest encoded frame in kB: a full-screen change is sent as one frame, so on a link of L Mbit/s it
   * takes size × 8 / L ms to arrive; the VBV buffer (cap × bufferSec) bounds it.
   */
  maxFrameKB: number;
}

async function measureOne(
  clip: ClipName,
  candidate: Candidate,
  seconds: number,
  dir: string,
  source = clipPath(clip),
): Promise<QualityRow> {
  const encoded = path.join(dir, `${clip}-${candidate.name}.mkv`);
  const timing = path.join(dir, 'time.txt');
  const encode = await runToExit(
    '/usr/bin/time',
    [
      '-f',
      '%U %S',
      '-o',
      timing,
      'ffmpeg',
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-t',
      String(seconds),
      '-i',
      source,
      ...candidate.args,
      '-r',
      String(candidate.fps),
      '-f',
      'matroska',
      encoded,
    ],
    { timeoutMs: 600_000 },
  );
  if (encode.code !== 0) throw new Error(`encoding ${clip} with ${candidate.name} failed: ${encode.stderr}`);
  const [userSec, systemSec] = (await readFile(timing, 'utf8')).trim().split(/\s+/).map(Number);
  const { size } = await stat(encoded);
  const compare = await runToExit(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostats',
      '-i',
      encoded,
      '-t',
      String(seconds),
      '-i',
      source,
      '-lavfi',
      `[0:v]fps=${CLIP_FPS},format=yuv444p,split[a1][a2];[1:v]fps=${CLIP_FPS},format=yuv444p,split[b1][b2];[a1][b1]ssim;[a2][b2]psnr`,
      '-f',
      'null',
      '-',
    ],
    { timeoutMs: 600_000 },
  );
  const ssim = /SSIM Y:([\d.]+).* All:([\d.]+)/.exec(compare.stderr);
  const psnr = /PSNR .* average:([\d.]+|inf)/.exec(compare.stderr);
  if (compare.code !== 0 || !ssim || !psnr)
    throw new Error(`comparing ${clip}/${candidate.name} failed: ${compare.stderr}`);
  const probe = await runToExit(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=size', '-of', 'csv=p=0', encoded],
    { timeoutMs: 120_000 },
  );
  if (probe.code !== 0) throw new Error(`probing ${clip}/${candidate.name} failed: ${probe.stderr}`);
  const sizes = probe.stdout.toString('utf8').split('\n').filter(Boolean).map(Number);
  await rm(encoded, { force: true });
  return {
    clip,
    candidate: candidate.name,
    about: candidate.about,
    kbps: Math.round((size * 8) / seconds / 1000),
    ssim: Number(ssim[2]),
    ssimY: Number(ssim[1]),
    psnrDb: psnr[1] === 'inf' ? 99 : Math.round(Number(psnr[1]) * 10) / 10,
    cpuPerSec: Math.round(((userSec + systemSec) / seconds) * 100) / 100,
    maxFrameKB: Math.round(Math.max(0, ...sizes) / 1000),
  };
}

/** The clip's captured frames one after another at the clip's frame rate, still lossless. */
async function retimed(clip: ClipName, seconds: number, dir: string): Promise<string> {
  const out = path.join(dir, `${clip}-retimed.mkv`);
  const result = await runToExit(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-i',
      clipPath(clip),
      '-vf',
      `setpts=N/${CLIP_FPS}/TB`,
      '-r',
      String(CLIP_FPS),
      '-t',
      String(seconds),
      '-c:v',
      'libx264rgb',
      '-qp',
      '0',
      '-preset',
      'ultrafast',
      out,
    ],
    { timeoutMs: 600_000 },
  );
  if (result.code !== 0) throw new Error(`retiming ${clip} failed: ${result.stderr}`);
  return out;
}

export async function benchQuality(options: {
  seconds: number;
  clips: readonly ClipName[];
  candidates: Candidate[];
  onRow?: (row: QualityRow) => void;
  /**
   * Every captured frame in turn at 30 fps: a recording on a busy machine loses frames, and a lost frame is
   * held, which makes motion cheaper than it is. Retimed (losslessly), every frame is new again.
   */
  retime?: boolean;
}): Promise<QualityRow[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mkvcast-quality-'));
  const rows: QualityRow[] = [];
  try {
    for (const clip of options.clips) {
      await stat(clipPath(clip)).catch(() => {
        throw new Error(`${clipPath(clip)} is missing: make the test set first (node dist/bench/testset.js)`);
      });
      const source = options.retime ? await retimed(clip, options.seconds, dir) : clipPath(clip);
      for (const candidate of options.candidates) {
        const row = await measureOne(clip, candidate, options.seconds, dir, source);
        rows.push(row);
        options.onRow?.(row);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

/** One table: a row per candidate, a column pair (kbit/s, SSIM) per clip. */
export function qualityTable(rows: QualityRow[]): string {
  const clips = [...new Set(rows.map((r) => r.clip))];
  const names = [...new Set(rows.map((r) => r.candidate))];
  const head = `| candidate | ${clips.map((c) => `${c} kbit/s · SSIM · PSNR`).join(' | ')} | encoder CPU (cores, mean) | largest frame (kB, all clips) |`;
  const rule = `| --- | ${clips.map(() => '---').join(' | ')} | --- | --- |`;
  const lines = names.map((name) => {
    const mine = rows.filter((r) => r.candidate === name);
    const cells = clips.map((clip) => {
      const r = mine.find((m) => m.clip === clip);
      return r ? `${r.kbps} · ${r.ssim.toFixed(4)} · ${r.psnrDb}` : '–';
    });
    const cpu = mine.reduce((sum, r) => sum + r.cpuPerSec, 0) / Math.max(1, mine.length);
    const largest = Math.max(...mine.map((r) => r.maxFrameKB));
    return `| ${name}: ${mine[0].about} | ${cells.join(' | ')} | ${cpu.toFixed(2)} | ${largest} |`;
  });
  return [head, rule, ...lines].join('\n');
}

/** Text and slides: the clips the 1.5 Mbit/s goal is about. */
const TEXT_CLIPS: readonly ClipName[] = ['terminal', 'web', 'slides', 'still'];

/** The report section for docs/benchmarks.md: the table, the goals, and latency when measured. */
export function qualitySection(
  rows: QualityRow[] | null,
  latency: LatencyRow[] | null,
  seconds: number,
): string {
  if (!rows) return '\n## Picture quality per bit\n\n_Not run (`--no-quality`)._\n';
  const get = (clip: string, name: string): QualityRow | undefined =>
    rows.find((r) => r.clip === clip && r.candidate === name);
  const verdict = (ok: boolean): string => (ok ? '**met**' : '**not met**');
  const goals: string[] = [];
  const textRows = TEXT_CLIPS.map((c) => get(c, 'balanced')).filter((r): r is QualityRow => r !== undefined);
  if (textRows.length > 0) {
    const worst = Math.min(...textRows.map((r) => r.ssim));
    const most = Math.max(...textRows.map((r) => r.kbps));
    goals.push(
      `| default (balanced) on text and slides: SSIM ≥ 0.98 at ≤ 1500 kbit/s | lowest SSIM ${worst.toFixed(4)}, most ${most} kbit/s | ${verdict(worst >= 0.98 && most <= 1500)} |`,
    );
  }
  const motionNew = get('video', 'balanced');
  const motionOld = get('video', '5000');
  if (motionNew && motionOld) {
    goals.push(
      `| default on motion (video clip): SSIM ≥ today's, kbit/s ≤ today's | ${motionNew.ssim.toFixed(4)} vs ${motionOld.ssim.toFixed(4)}, ${motionNew.kbps} vs ${motionOld.kbps} kbit/s | ${verdict(motionNew.ssim >= motionOld.ssim - 0.0005 && motionNew.kbps <= motionOld.kbps)} |`,
    );
  }
  const today = latency?.find((l) => l.quality === '5000');
  const latencyRows = (latency ?? []).map(
    (l) =>
      `| ${l.quality === '5000' ? "today's medium (5000)" : l.quality} | ${l.latency.p50Ms} / ${l.latency.p95Ms} / ${l.latency.maxMs} (${l.latency.samples}) | ${today ? (l.latency.p50Ms / Math.max(1, today.latency.p50Ms)).toFixed(2) : '–'}× |`,
  );
  return `
## Picture quality per bit

\`bench/quality.ts\` on the test set of \`bench/testset.ts\` (1920×1080 at 30 fps, recorded losslessly on Xvfb:
a terminal with text typed and scrolled, a web page scrolled in Chromium, an HTML slide deck with
transitions, a 1280×720 mpv window playing a moving test picture, a still desktop). The first ${seconds} s of
each clip are encoded with share's arguments (libx264 veryfast, zerolatency, a keyframe every second) and
compared with the source in 4:4:4: SSIM is ffmpeg's "All" (Y, U and V), PSNR likewise (this ffmpeg has
no libvmaf). Encoder CPU is user + system time of the ffmpeg child per second of video (1.0 = one core).
Today's presets, CBR at 0.04/0.08/0.15 bits per pixel, are the first rows.

${qualityTable(rows)}

| goal | measured |  |
| --- | --- | --- |
${goals.join('\n')}
${
  latencyRows.length > 0
    ? `
Glass-to-glass latency of \`mkvcast share --quality Q\` at 1920×1080/30 (bench/glass.ts's method; the
qualities take turns so other work on the machine falls on all alike), p50 / p95 / max ms (samples):

| quality | latency | p50 vs today |
| --- | --- | --- |
${latencyRows.join('\n')}
`
    : ''
}`;
}

const MKVCAST_BIN = fileURLToPath(new URL('../../bin/mkvcast.js', import.meta.url));
const VARIANT_BIN = fileURLToPath(new URL('./variant.js', import.meta.url));

export interface LatencyRow {
  quality: string;
  latency: LatencyResult;
}

/**
 * Glass-to-glass latency of `mkvcast share --quality Q` at 1920×1080, 30 fps, measured as bench/glass.ts
 * does (a new colour painted, the time until a viewer decodes it). The qualities take turns, `turns`
 * times each, so that other work on the machine falls on all of them alike.
 */
export async function benchPresetLatency(
  qualities: string[],
  roundsPerTurn: number,
  turns: number,
): Promise<LatencyRow[]> {
  const samples = new Map<string, number[]>(qualities.map((q) => [q, []]));
  const xvfb = await startXvfb([{ width: CLIP_WIDTH, height: CLIP_HEIGHT }]);
  try {
    for (let turn = 0; turn < turns; turn++) {
      for (const quality of qualities) {
        const port = await freePort();
        // A variant spec runs share through bench/variant.ts with the default preset swapped for it.
        const variant = isVariant(quality);
        const share = spawnTracked(
          process.execPath,
          [
            variant ? VARIANT_BIN : MKVCAST_BIN,
            'share',
            '--display',
            xvfb.display,
            '--fps',
            '30',
            '--quality',
            variant ? 'balanced' : quality,
            '--host',
            '127.0.0.1',
            '--port',
            String(port),
            '--token',
            'none',
            '--quiet',
          ],
          {
            stdio: ['ignore', 'ignore', 'pipe'],
            env: variant ? { ...process.env, MKVCAST_BENCH_VARIANT: quality } : process.env,
          },
        );
        const url = `http://127.0.0.1:${port}/live.mkv`;
        await waitFor(
          'mkvcast share to serve',
          async () => (await fetch(`http://127.0.0.1:${port}/status`).catch(() => null))?.ok,
          {
            timeoutMs: 20_000,
            intervalMs: 200,
          },
        );
        const viewer = pixelViewer(url);
        samples.get(quality)?.push(...(await measureLatency(xvfb, viewer, roundsPerTurn)));
        viewer.child.kill('SIGKILL');
        const closed = new Promise((resolve) => share.once('close', resolve));
        share.kill('SIGINT');
        await closed;
        await sleep(200);
      }
    }
  } finally {
    await killAll();
    await xvfb.stop();
  }
  return qualities.map((quality) => ({ quality, latency: summarise(samples.get(quality) ?? []) }));
}

/** Each quality's median against the first one's (today's medium): the "within 5%" goal is ratio ≤ 1.05. */
export function latencyRatios(rows: LatencyRow[]): { quality: string; p50Ms: number; ratio: number }[] {
  const base = rows[0]?.latency.p50Ms ?? 0;
  return rows.map((r) => ({
    quality: r.quality,
    p50Ms: r.latency.p50Ms,
    ratio: Math.round((r.latency.p50Ms / Math.max(1, base)) * 1000) / 1000,
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--latency')) {
  // Interleaved A B A B …: `--turns` turns of `--rounds` samples each, the qualities taking turns, so a
  // busy spell on the machine falls on all of them alike. The first quality is the baseline.
  const { values } = parseArgs({
    strict: false,
    options: {
      quick: { type: 'boolean' },
      qualities: { type: 'string' },
      turns: { type: 'string' },
      rounds: { type: 'string' },
    },
  });
  const quick = values.quick === true;
  const qualities =
    typeof values.qualities === 'string'
      ? values.qualities.split(',')
      : ['5000', 'text', 'balanced', 'motion'];
  const rows = await benchPresetLatency(
    qualities,
    Number(values.rounds ?? (quick ? 5 : 10)),
    Number(values.turns ?? (quick ? 1 : 3)),
  );
  console.log(JSON.stringify(rows));
  console.log(JSON.stringify(latencyRatios(rows)));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      seconds: { type: 'string' },
      only: { type: 'string' },
      candidates: { type: 'string' },
      explore: { type: 'boolean' },
      balanced: { type: 'boolean' },
      retime: { type: 'boolean' },
      latency: { type: 'boolean' },
    },
  });
  const all = [
    ...presetCandidates(),
    ...(values.explore ? exploreCandidates() : []),
    ...(values.balanced ? balancedCandidates() : []),
  ];
  const wanted = values.candidates?.split(',');
  // A name with colons is a bench-only variant of the default (bench/variant.ts), kept in the order given.
  const candidates = wanted
    ? wanted
        .map((name) => (isVariant(name) ? variantCandidate(name) : all.find((c) => c.name === name)))
        .filter((c): c is Candidate => c !== undefined)
    : all;
  const clips = (values.only?.split(',') ?? CLIP_NAMES) as ClipName[];
  const seconds = Number(values.seconds ?? (values.quick ? 4 : 20));
  const rows = await benchQuality({
    seconds,
    clips,
    candidates,
    retime: values.retime,
    onRow: (r) => console.error(JSON.stringify(r)),
  });
  console.log(qualityTable(rows));
}
