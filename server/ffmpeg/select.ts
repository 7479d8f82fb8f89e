import { spawn } from 'node:child_process';
import type { CapturePlatform } from './capture.js';
import { FfmpegError, installHint } from './errors.js';
import { ffmpegStaticPath, isExecutable, onPath } from './locate.js';
import { CAPTURE_DEVICE, HARDWARE_ENCODERS, probeFfmpeg, type FfmpegCapabilities } from './probe.js';

/** Where to look for ffmpeg, in order: the setting or FFMPEG_PATH, ffmpeg-static, then PATH. */
export function ffmpegCandidates(
  configured: string,
  env: NodeJS.ProcessEnv,
): { path: string; from: string }[] {
  const explicit = configured || env.FFMPEG_PATH;
  if (explicit) return [{ path: explicit, from: configured ? 'the ffmpeg path setting' : 'FFMPEG_PATH' }];
  const out: { path: string; from: string }[] = [];
  const bundled = ffmpegStaticPath();
  if (bundled) out.push({ path: bundled, from: 'ffmpeg-static' });
  const system = onPath('ffmpeg', env);
  if (system) out.push({ path: system, from: 'PATH' });
  return out;
}

/**
 * The first ffmpeg that can capture this platform's screen and encode H.264. When none can, one
 * FfmpegError that says what is missing and how to get it. `input: 'rawvideo'` is for a screen whose
 * frames come on stdin (the Wayland portal's PipeWire reader): no capture device is needed then, only
 * the encoder (the rawvideo demuxer is in every build).
 */
export async function selectCaptureFfmpeg(
  platform: CapturePlatform,
  configured = '',
  env: NodeJS.ProcessEnv = process.env,
  input: 'device' | 'rawvideo' = 'device',
): Promise<FfmpegCapabilities> {
  const device = input === 'device' ? CAPTURE_DEVICE[platform] : null;
  const candidates = ffmpegCandidates(configured, env);
  const lacking: string[] = [];
  for (const candidate of candidates) {
    if (!isExecutable(candidate.path)) {
      lacking.push(`${candidate.path} (from ${candidate.from}) does not exist or cannot be run`);
      continue;
    }
    let caps: FfmpegCapabilities;
    try {
      caps = await probeFfmpeg(candidate.path);
    } catch (error) {
      lacking.push(`${candidate.path} did not run: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    const missing = [
      device === null || caps.inputDevices.has(device) ? null : `${device} (screen capture)`,
      caps.encoders.has('libx264') || HARDWARE_ENCODERS.some((e) => caps.encoders.has(e))
        ? null
        : 'H.264 encoder',
    ].filter(Boolean);
    if (missing.length === 0) return caps;
    lacking.push(`${candidate.path} (from ${candidate.from}) has no ${missing.join(' and no ')}`);
  }
  if (lacking.length === 0) {
    throw new FfmpegError('FFMPEG_MISSING', 'ffmpeg was not found on this machine.', installHint(platform));
  }
  throw new FfmpegError(
    'FFMPEG_MISSING',
    `No ffmpeg here can share the screen: ${lacking.join('; ')}.`,
    installHint(platform),
  );
}

const trials = new Map<string, Promise<boolean>>();

/** A one-second trial encode: a hardware encoder is offered only when it really works on this machine. */
export function encoderWorks(ffmpeg: string, encoder: string): Promise<boolean> {
  const key = `${ffmpeg}\0${encoder}`;
  let pending = trials.get(key);
  if (!pending) {
    const upload =
      encoder === 'h264_vaapi' ? ['-vaapi_device', '/dev/dri/renderD128', '-vf', 'format=nv12,hwupload'] : [];
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x360:rate=30',
      '-t',
      '1',
      ...upload,
      '-c:v',
      encoder,
      '-f',
      'null',
      '-',
    ];
    pending = new Promise<boolean>((resolve) => {
      const child = spawn(ffmpeg, args, { stdio: 'ignore', windowsHide: true });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('error', () => resolve(false));
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve(code === 0);
      });
    });
    trials.set(key, pending);
  }
  return pending;
}

/** The H.264 encoders this ffmpeg has that really work here: libx264 first, then the hardware ones that pass a trial. */
export async function workingEncoders(caps: FfmpegCapabilities): Promise<string[]> {
  const hardware = HARDWARE_ENCODERS.filter((e) => caps.encoders.has(e));
  const results = await Promise.all(hardware.map((e) => encoderWorks(caps.path, e)));
  return [...(caps.encoders.has('libx264') ? ['libx264'] : []), ...hardware.filter((_, i) => results[i])];
}
