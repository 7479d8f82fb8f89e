import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { FieldError, Quality, Settings } from './api.js';
import { regionSyntaxProblem } from './region.js';
import { portRangeProblem, portRangeSize } from './webrtc/ports.js';

/** A fresh viewer token: 22 URL-safe characters (128 random bits). */
export function newToken(): string {
  return randomBytes(16).toString('base64url');
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  screenId: '',
  fps: 30,
  keyframeIntervalSec: 1,
  quality: 'balanced',
  port: 8080,
  host: '0.0.0.0',
  maxViewers: 64,
  token: null,
  ffmpegPath: '',
  encoder: '',
  maxUploadMbit: null,
  region: '',
  outputSize: 'native',
  window: '',
  webrtcPorts: '',
  audio: 'none',
});

const QUALITIES: readonly Quality[] = ['text', 'balanced', 'motion', 'text444'];
/** The presets before issue 14, as settings files and scripts may still hold them. */
const OLD_QUALITIES: Readonly<Record<string, Quality>> = { low: 'text', medium: 'balanced', high: 'motion' };
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;
const ENCODER_PATTERN = /^[a-z0-9_]{1,32}$/;

type Check = (value: unknown) => string | null;

const number =
  (what: string, min: number, max: number, integer: boolean): Check =>
  (value) => {
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < min ||
      value > max ||
      (integer && !Number.isInteger(value))
    ) {
      return `${what} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}.`;
    }
    return null;
  };

const CHECKS: { [K in keyof Settings]: Check } = {
  screenId: (v) => (typeof v === 'string' && v.length <= 128 ? null : 'Pick a screen.'),
  fps: number('Frame rate', 1, 60, true),
  keyframeIntervalSec: number('Keyframe interval', 0.25, 10, false),
  quality: (v) =>
    (typeof v === 'string' && (QUALITIES as readonly string[]).includes(v)) ||
    (typeof v === 'number' && Number.isInteger(v) && v >= 100 && v <= 100_000)
      ? null
      : 'Quality must be text, balanced, motion, text444, or a bitrate from 100 to 100000 kbit/s.',
  port: number('Port', 1024, 65535, true),
  host: (v) =>
    typeof v === 'string' && (isIP(v) !== 0 || v === 'localhost')
      ? null
      : 'Host must be an IP address of this machine, or 0.0.0.0 for every interface.',
  maxViewers: number('Max viewers', 1, 10_000, true),
  token: (v) =>
    v === null || (typeof v === 'string' && TOKEN_PATTERN.test(v))
      ? null
      : "The viewer token must be 8–128 characters of A–Z, a–z, 0–9, '-' and '_'.",
  ffmpegPath: (v) =>
    typeof v === 'string' && v.length <= 4096 && !v.includes('\0') ? null : 'The ffmpeg path is not a path.',
  encoder: (v) =>
    typeof v === 'string' && (v === '' || ENCODER_PATTERN.test(v)) ? null : 'Unknown encoder name.',
  maxUploadMbit: (v) =>
    v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0.1 && v <= 100_000)
      ? null
      : 'The upload budget must be a number of Mbit/s from 0.1 to 100000, or none.',
  region: (v) => (typeof v === 'string' ? regionSyntaxProblem(v) : 'The region must be WxH+X+Y.'),
  outputSize: (v) =>
    v === 'native' || v === '1080p' || v === '720p' ? null : 'The output size must be native, 1080p or 720p.',
  window: (v) =>
    typeof v === 'string' && v.length <= 256 && !v.includes('\0')
      ? null
      : 'The window must be a window id or title.',
  webrtcPorts: (v) =>
    typeof v === 'string' ? portRangeProblem(v) : 'WebRTC ports must be a range such as 40000-40100.',
  // Device names are the sound server's own (any text); whether one exists is checked when sharing starts.
  audio: (v) =>
    typeof v === 'string' && v.trim() !== '' && v.length <= 256 && ![...v].some((c) => c.charCodeAt(0) < 0x20)
      ? null
      : 'Sound must be none, system, mic, or the name of a sound device.',
};

/**
 * Checks settings from anywhere (a UI form, IPC, the settings file, CLI flags). Returns the settings
 * with every bad or missing field replaced by its value in `fallback`, and one error per bad field:
 * a form shows the errors and refuses to start; a settings file loads the repaired settings and warns.
 */
export function validateSettings(
  input: unknown,
  fallback: Readonly<Settings> = DEFAULT_SETTINGS,
): { settings: Settings; errors: FieldError[] } {
  const source = { ...(typeof input === 'object' && input !== null ? input : {}) } as Record<string, unknown>;
  if (typeof source.quality === 'string' && source.quality in OLD_QUALITIES) {
    source.quality = OLD_QUALITIES[source.quality];
  }
  const settings = { ...fallback } as Settings;
  const errors: FieldError[] = [];
  for (const field of Object.keys(CHECKS) as (keyof Settings)[]) {
    if (!(field in source) || source[field] === undefined) continue;
    const problem = CHECKS[field](source[field]);
    if (problem) errors.push({ field, message: problem });
    else (settings as unknown as Record<string, unknown>)[field] = source[field];
  }
  const tooFewPorts = webrtcPortsTooFew(settings.webrtcPorts, settings.maxViewers);
  if (tooFewPorts) {
    errors.push({ field: 'webrtcPorts', message: tooFewPorts });
    // Repaired to any free port: the fallback's range may be just as short for these max viewers.
    settings.webrtcPorts = DEFAULT_SETTINGS.webrtcPorts;
  }
  return { settings, errors };
}

/**
 * Why a WebRTC port range cannot hold `maxViewers` browsers, or null. Each WebRTC viewer's peer
 * connection binds its own UDP port (one per LAN address), so a shorter range turns viewers away with
 * an error the CLI or the app only hears of when a browser connects.
 */
export function webrtcPortsTooFew(range: string, maxViewers: number): string | null {
  const size = portRangeSize(range);
  if (size === null || size >= maxViewers) return null;
  const low = Number(range.split('-')[0]);
  const from = low + maxViewers - 1 <= 65535 ? low : 40000;
  return (
    `WebRTC ports ${range} hold ${size} browser viewer${size === 1 ? '' : 's'}, but max viewers is ${maxViewers} ` +
    `(each WebRTC viewer takes a UDP port). Widen the range to ${maxViewers} ports or more ` +
    `(e.g. ${from}-${from + maxViewers - 1}), or lower max viewers to ${size}.`
  );
}
