/**
 * Test media made by ffmpeg from lavfi sources (testsrc2, sine), cached on disk so that test files share
 * it, plus small helpers to run ffmpeg and ffprobe. Live media is written through `pipe:1`, exactly as
 * the capture writes it: unknown-size Segment, no Cues, no Duration.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export type MediaKind =
  'h264-aac' | 'h264-opus' | 'vp9-opus' | 'vp8-vorbis' | 'hevc-aac' | 'av1-opus' | 'opus-only' | 'aac-only';

export interface MediaOptions {
  /** Length in seconds (default 3). */
  seconds?: number;
  /** Picture size (default 320x240). */
  width?: number;
  height?: number;
  /** Frame rate (default 30). */
  fps?: number;
  /** Frames between keyframes (default one second's worth). */
  gopFrames?: number;
  /** Video bitrate; the encoder's default quality when absent. */
  bitrateKbps?: number;
  /** Written as ffmpeg writes a live pipe, one frame per cluster (default true); else a seekable file. */
  live?: boolean;
}

export interface RunOptions {
  /** Bytes written to the child's stdin (closed after them); stdin is ignored when absent. */
  input?: Buffer;
  /** The child's stdout goes straight to this file instead of being collected. */
  stdoutFile?: string;
  /** Killed (and the call rejected) after this long; default 120 s. */
  timeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

export interface RunResult {
  stdout: Buffer;
  /** The last few KiB of stderr. */
  stderr: string;
}

const STDERR_TAIL_BYTES = 16 * 1024;
/** Bump when the recipes change, so that cached files from older recipes are not used. */
const RECIPE_VERSION = 1;
const CACHE_DIR = path.join(os.tmpdir(), 'mkvcast-media');

export const ffmpegPath = process.env.FFMPEG_PATH ?? 'ffmpeg';
export const ffprobePath = process.env.FFPROBE_PATH ?? 'ffprobe';

/** Runs ffmpeg with `args` (no shell); rejects with the stderr tail when it exits non-zero. */
export function runFfmpeg(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(ffmpegPath, ['-hide_banner', '-nostdin', ...args], opts);
}

/** Runs ffprobe with `args` (no shell); rejects with the stderr tail when it exits non-zero. */
export function runFfprobe(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(ffprobePath, ['-hide_banner', ...args], opts);
}

function run(binary: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const stdoutFd = opts.stdoutFile === undefined ? null : openSync(opts.stdoutFile, 'w');
    const child = spawn(binary, args, {
      stdio: [opts.input ? 'pipe' : 'ignore', stdoutFd ?? 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    if (stdoutFd !== null) closeSync(stdoutFd);
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    // ffmpeg may stop reading stdin early (an error, or it has read enough): not our failure.
    child.stdin?.on('error', () => {});
    child.stdin?.end(opts.input);
    let timedOut = false;
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const command = `${path.basename(binary)} ${args.join(' ')}`;
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${command}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({ stdout: Buffer.concat(stdout), stderr });
      const why = timedOut ? `timed out after ${timeoutMs} ms` : (signal ?? `exit code ${code}`);
      reject(new Error(`${command} failed (${why}):\n${stderr.trim()}`));
    });
  });
}

interface Recipe {
  format: 'matroska' | 'webm';
  video: string[] | null;
  audio: string[];
}

/** Fixed options written as one string, for readability: `args('-c:a aac -b:a 64k')`. */
function args(text: string): string[] {
  return text.split(' ');
}

type ResolvedOptions = Required<Omit<MediaOptions, 'bitrateKbps'>> & MediaOptions;

function recipe(kind: MediaKind, o: ResolvedOptions): Recipe {
  const g = o.gopFrames;
  const rate = o.bitrateKbps ? ['-b:v', `${o.bitrateKbps}k`] : [];
  const vpx = [
    ...args(`-deadline realtime -cpu-used 8 -g ${g} -keyint_min ${g}`),
    ...(rate.length ? rate : ['-b:v', '1M']),
  ];
  const aac = args('-c:a aac -b:a 64k');
  const opus = args('-c:a libopus -b:a 48k');
  switch (kind) {
    case 'h264-aac': {
      const x264 = `-c:v libx264 -preset ultrafast -tune zerolatency -g ${g} -keyint_min ${g} -sc_threshold 0`;
      return { format: 'matroska', video: [...args(`${x264} -pix_fmt yuv420p`), ...rate], audio: aac };
    }
    case 'h264-opus': {
      // What WebRTC viewers can take as it is (H.264 + Opus).
      const x264 = `-c:v libx264 -preset ultrafast -tune zerolatency -g ${g} -keyint_min ${g} -sc_threshold 0`;
      return { format: 'matroska', video: [...args(`${x264} -pix_fmt yuv420p`), ...rate], audio: opus };
    }
    case 'vp9-opus':
      return { format: 'webm', video: [...args('-c:v libvpx-vp9 -row-mt 1'), ...vpx], audio: opus };
    case 'vp8-vorbis':
      return {
        format: 'webm',
        video: [...args('-c:v libvpx'), ...vpx],
        audio: args('-c:a libvorbis -q:a 2'),
      };
    case 'hevc-aac': {
      const x265 = `-c:v libx265 -preset ultrafast -x265-params keyint=${g}:min-keyint=${g}:scenecut=0:log-level=error`;
      return { format: 'matroska', video: [...args(`${x265} -pix_fmt yuv420p`), ...rate], audio: aac };
    }
    case 'av1-opus':
      // libsvtav1: this ffmpeg's libaom-av1 output fails to mux into Matroska ("Invalid data found").
      return {
        format: 'matroska',
        video: [...args(`-c:v libsvtav1 -preset 12 -g ${g} -pix_fmt yuv420p`), ...rate],
        audio: opus,
      };
    case 'opus-only':
      return { format: 'webm', video: null, audio: opus };
    case 'aac-only':
      return { format: 'matroska', video: null, audio: aac };
  }
}

function resolveOptions(opts: MediaOptions): ResolvedOptions {
  const fps = opts.fps ?? 30;
  return {
    seconds: opts.seconds ?? 3,
    width: opts.width ?? 320,
    height: opts.height ?? 240,
    fps,
    gopFrames: opts.gopFrames ?? fps,
    bitrateKbps: opts.bitrateKbps,
    live: opts.live ?? true,
  };
}

function ffmpegArgs(kind: MediaKind, opts: MediaOptions, output: string): string[] {
  const o = resolveOptions(opts);
  const r = recipe(kind, o);
  const inputs: string[] = [];
  if (r.video) {
    inputs.push(
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}:duration=${o.seconds}`,
    );
  }
  inputs.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${o.seconds}`);
  // One frame per cluster, as the capture does, so a cluster is ready as soon as its frame is.
  const live = o.live ? ['-live', '1', '-cluster_time_limit', String(Math.floor(1000 / o.fps))] : [];
  return [
    '-v',
    'error',
    ...inputs,
    ...(r.video ?? []),
    ...r.audio,
    '-t',
    String(o.seconds),
    '-f',
    r.format,
    ...live,
    output,
  ];
}

const pending = new Map<string, Promise<string>>();

/**
 * Path of a small Matroska/WebM file of `kind` made with ffmpeg. Cached in `os.tmpdir()/mkvcast-media/` by
 * recipe; written to a temporary name and renamed, so test files running in parallel never see half a file.
 */
export function makeMedia(kind: MediaKind, opts: MediaOptions = {}): Promise<string> {
  const o = resolveOptions(opts);
  const extension = recipe(kind, o).format === 'webm' ? 'webm' : 'mkv';
  const hash = createHash('sha256')
    .update(JSON.stringify([RECIPE_VERSION, ffmpegArgs(kind, o, 'OUTPUT')]))
    .digest('hex')
    .slice(0, 12);
  const name = `${kind}-${o.width}x${o.height}-${o.fps}fps-g${o.gopFrames}-${o.seconds}s-${o.live ? 'live' : 'file'}-${hash}.${extension}`;
  const file = path.join(CACHE_DIR, name);
  let made = pending.get(file);
  if (!made) {
    made = make(kind, o, file);
    pending.set(file, made);
    made.catch(() => pending.delete(file));
  }
  return made;
}

async function make(kind: MediaKind, o: ResolvedOptions, file: string): Promise<string> {
  const existing = await stat(file).catch(() => null);
  if (existing && existing.size > 0) return file;
  await mkdir(CACHE_DIR, { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    // SVT-AV1 logs its banner on stderr whatever ffmpeg's -v says; SVT_LOG=1 keeps it to errors.
    const env = { SVT_LOG: '1' };
    if (o.live) await runFfmpeg(ffmpegArgs(kind, o, 'pipe:1'), { stdoutFile: temp, env });
    else await runFfmpeg(ffmpegArgs(kind, o, temp), { env });
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
  return file;
}

/** The bytes of `makeMedia(kind, opts)`. */
export async function readMedia(kind: MediaKind, opts: MediaOptions = {}): Promise<Buffer> {
  return readFile(await makeMedia(kind, opts));
}

/**
 * `makeMedia(kind, opts)` remuxed (streams copied, nothing encoded) into another container, e.g. MPEG-TS
 * (whose AAC is ADTS); cached beside it.
 */
export async function makeRemuxed(
  kind: MediaKind,
  format: 'mpegts' | 'mp4',
  opts: MediaOptions = {},
): Promise<string> {
  const source = await makeMedia(kind, opts);
  const file = `${source}.${format === 'mpegts' ? 'ts' : 'mp4'}`;
  let made = pending.get(file);
  if (!made) {
    made = remuxFile(source, format, file);
    pending.set(file, made);
    made.catch(() => pending.delete(file));
  }
  return made;
}

async function remuxFile(source: string, format: 'mpegts' | 'mp4', file: string): Promise<string> {
  const existing = await stat(file).catch(() => null);
  if (existing && existing.size > 0) return file;
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await runFfmpeg(['-v', 'error', '-i', source, '-c', 'copy', '-f', format, temp]);
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
  return file;
}
