import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { CapturePlatform } from './capture.js';

const run = promisify(execFile);

export interface FfmpegCapabilities {
  path: string;
  /** First line of `ffmpeg -version`, e.g. `ffmpeg version 5.1.6-0+deb12u1`. */
  version: string;
  /** Input devices (demuxers under -devices): x11grab, gdigrab, avfoundation, … */
  inputDevices: Set<string>;
  /** Video encoders: libx264, h264_vaapi, … */
  encoders: Set<string>;
}

/** The capture device each platform's screen sharing needs. */
export const CAPTURE_DEVICE: Record<CapturePlatform, string> = {
  linux: 'x11grab',
  win32: 'gdigrab',
  darwin: 'avfoundation',
};

/** H.264 encoders in the order we prefer them, when a trial encode proves they work. libx264 is the fallback. */
export const HARDWARE_ENCODERS = [
  'h264_nvenc',
  'h264_qsv',
  'h264_vaapi',
  'h264_videotoolbox',
  'h264_mf',
] as const;

/** The listing after the legend, which ends with a line of dashes. */
function listing(text: string): string[] {
  const lines = text.split('\n');
  const separator = lines.findIndex((line) => /^\s*-+\s*$/.test(line));
  return lines.slice(separator + 1);
}

/** Parses `ffmpeg -devices` ( " D  x11grab   X11 screen capture…", "DE alsa …"). */
export function parseDevices(text: string): Set<string> {
  const devices = new Set<string>();
  for (const line of listing(text)) {
    const m = /^\s*D[E ]?\s+(\S+)\s/.exec(line);
    if (m) for (const name of m[1].split(',')) devices.add(name);
  }
  return devices;
}

/** Parses `ffmpeg -encoders` (" V....D libx264   libx264 H.264 …"). */
export function parseEncoders(text: string): Set<string> {
  const encoders = new Set<string>();
  for (const line of listing(text)) {
    const m = /^\s*V[A-Z.]{5}\s+(\S+)\s/.exec(line);
    if (m) encoders.add(m[1]);
  }
  return encoders;
}

const cache = new Map<string, Promise<FfmpegCapabilities>>();

/** Asks one ffmpeg binary what it can do (once per path per process). */
export function probeFfmpeg(path: string): Promise<FfmpegCapabilities> {
  let pending = cache.get(path);
  if (!pending) {
    pending = (async () => {
      const opts = { timeout: 10_000, maxBuffer: 4 * 1024 * 1024, windowsHide: true };
      const [version, devices, encoders] = await Promise.all([
        run(path, ['-hide_banner', '-version'], opts),
        run(path, ['-hide_banner', '-devices'], opts),
        run(path, ['-hide_banner', '-encoders'], opts),
      ]);
      return {
        path,
        version: version.stdout.split('\n')[0].trim(),
        inputDevices: parseDevices(devices.stdout),
        encoders: parseEncoders(encoders.stdout),
      };
    })();
    pending.catch(() => cache.delete(path));
    cache.set(path, pending);
  }
  return pending;
}
