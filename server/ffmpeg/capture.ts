import type { OutputSize, Quality, ScreenInfo, Settings } from '../api.js';
import { audioClockArgs, audioEncodeArgs, audioInputArgs, type AudioSource } from './audio.js';

export type CapturePlatform = 'linux' | 'win32' | 'darwin';

export interface CaptureTarget {
  platform: CapturePlatform;
  screen: ScreenInfo;
  /** X display on Linux (`:0`); the avfoundation device index on macOS; unused on Windows. */
  display: string;
  /** A window to capture instead of the screen: its id on Linux, its title on Windows. */
  window?: string;
  /** Paused: a still card of the same size instead of any capture. */
  card?: boolean;
  /**
   * The shared window's size now, for its card: a card at the screen's size would change the stream
   * header, and viewers of a window would be cut off at pause.
   */
  windowSize?: { width: number; height: number };
}

/**
 * What each preset asks of the encoder, chosen by bench/quality.ts on the screen test set (the table is in
 * docs/benchmarks.md). libx264 runs in constant-quality mode (CRF) under a cap: text and slides at 1080p30
 * cost 1–1.5 Mbit/s (a keyframe a second included) where CBR spent what it was given; only motion reaches
 * the cap. The cap, in bits per pixel per frame, scales with
 * the picture and the frame rate; hardware encoders, which have no CRF here, use the cap as their bitrate.
 */
export interface PresetSpec {
  crf: number;
  capBitsPerPixel: number;
  pixFmt: 'yuv420p' | 'yuv444p';
  /** The VBV buffer under the cap, in seconds of the cap (half a second when absent, as in CBR). */
  bufferSec?: number;
}

export const PRESETS: Readonly<Record<Quality, PresetSpec>> = {
  // The fewest bits: CRF 26 under a 1.5 Mbit/s cap (1080p30) kept SSIM ≥ 0.99 on text at ~1–1.4 Mbit/s;
  // CRF 23 under the same cap spent as much and scored lower (the cap, not the CRF, set the quality).
  text: { crf: 26, capBitsPerPixel: 0.024, pixFmt: 'yuv420p' },
  // The default: CRF 24 under 4900k at 1080p30 with the half-second buffer of CBR. Text and slides stay
  // under the cap (≤ 1.5 Mbit/s, SSIM ≥ 0.996); motion reaches it, and there it matches today's medium
  // (CBR 5000k): video window, every frame new, 0.9910 at 4941 kbit/s against 0.9909 at 5015. The half
  // second bounds the largest frame (a full-screen change, sent whole) as today's does: 2450 kbit against
  // 2500, so on a slow link it takes no longer. Glass to glass, interleaved: p50 1.02×, 1.00× and 1.03× of
  // today's medium. A 1 s buffer under 4800k scored better on motion (0.9913 at 4896) but doubles that
  // bound (4800 kbit): p50 0.97–1.05× here, 1.08–1.09× in an earlier run. 4800k with half a second
  // fell short on motion (0.9908); CRF 23 spent as much for less. The stillimage/animation tunes, aq-mode
  // 3 and ipratio 1 gained nothing on the test set.
  balanced: { crf: 24, capBitsPerPixel: 0.0788, pixFmt: 'yuv420p' },
  motion: { crf: 21, capBitsPerPixel: 0.15, pixFmt: 'yuv420p' },
  text444: { crf: 23, capBitsPerPixel: 0.08, pixFmt: 'yuv444p' },
};

/** The bitrate cap in kbit/s for a quality setting at this size and frame rate (a number is the bitrate). */
export function bitrateKbps(
  quality: Settings['quality'],
  width: number,
  height: number,
  fps: number,
): number {
  if (typeof quality === 'number') return quality;
  const kbps = (width * height * fps * PRESETS[quality].capBitsPerPixel) / 1000;
  return Math.max(300, Math.min(50_000, Math.round(kbps / 50) * 50));
}

const even = (n: number): number => Math.max(2, n - (n % 2));

/** The input half: grab the screen's region at the frame rate, with the cursor. */
export function grabArgs(target: CaptureTarget, fps: number): string[] {
  const { screen } = target;
  const size = `${even(screen.width)}x${even(screen.height)}`;
  if (target.card) {
    const size = (target.window && target.windowSize) || screen;
    return cardArgs(size.width, size.height, fps);
  }
  if (target.window) return windowGrabArgs(target, fps, target.window);
  switch (target.platform) {
    case 'linux':
      return [
        '-f',
        'x11grab',
        '-framerate',
        String(fps),
        '-video_size',
        size,
        '-draw_mouse',
        '1',
        // Fewer frames held between the grabber and the encoder: latency, not throughput, matters here.
        '-thread_queue_size',
        '8',
        '-i',
        `${target.display}+${screen.x},${screen.y}`,
      ];
    case 'win32':
      return [
        '-f',
        'gdigrab',
        '-framerate',
        String(fps),
        '-offset_x',
        String(screen.x),
        '-offset_y',
        String(screen.y),
        '-video_size',
        size,
        '-draw_mouse',
        '1',
        '-i',
        'desktop',
      ];
    case 'darwin':
      // avfoundation captures a whole screen by its device index ("Capture screen N").
      return [
        '-f',
        'avfoundation',
        '-framerate',
        String(fps),
        '-capture_cursor',
        '1',
        '-pixel_format',
        'uyvy422',
        '-i',
        `${target.display}:none`,
      ];
  }
}

/**
 * The "Paused" card: a generated picture at the capture's size and frame rate, so that the encoder's
 * settings, and with them the stream header, stay the same and the card is spliced into the stream
 * viewers already have (as any restart is). Nothing is read from the screen. `pixelFormat` is the
 * grabber's: x264 writes the input's colour range into the header (bgr0 from x11grab converts as
 * `tv` range, raw yuv420p from the Wayland reader states none), so a card in another format than the
 * capture's would not splice.
 */
export function cardArgs(
  width: number,
  height: number,
  fps: number,
  pixelFormat: 'bgr0' | 'yuv420p' = 'bgr0',
): string[] {
  const size = `${even(width)}x${even(height)}`;
  const fontSize = Math.max(12, Math.round(height / 10));
  return [
    // lavfi makes frames as fast as it can; -re paces them at the frame rate, as a grabber is paced.
    '-re',
    '-f',
    'lavfi',
    '-i',
    `color=c=0x1e2a38:s=${size}:r=${fps},drawtext=text=Paused:fontcolor=white:fontsize=${fontSize}:x=(w-tw)/2:y=(h-th)/2,format=${pixelFormat},setsar=0`,
  ];
}

/**
 * One window: x11grab reads the window's own pixels by id (it follows the window when it moves; the size
 * is the window's when ffmpeg starts), gdigrab by title. macOS cannot (checked before, in the session).
 */
function windowGrabArgs(target: CaptureTarget, fps: number, window: string): string[] {
  const common = ['-framerate', String(fps), '-draw_mouse', '1'];
  if (target.platform === 'win32') return ['-f', 'gdigrab', ...common, '-i', `title=${window}`];
  return ['-f', 'x11grab', ...common, '-thread_queue_size', '8', '-window_id', window, '-i', target.display];
}

const OUTPUT_HEIGHTS: Record<OutputSize, number | null> = { native: null, '1080p': 1080, '720p': 720 };

/**
 * The size viewers get: the captured size, or scaled down (never up) to a height of 1080 or 720 lines
 * with the same shape. A HiDPI screen is captured at its physical size (2880×1800 for a 1440×900 display
 * at 2×), so `1080p` is how to send fewer pixels than that.
 */
export function outputDimensions(
  screen: Pick<ScreenInfo, 'width' | 'height'>,
  size: OutputSize,
): { width: number; height: number } {
  const limit = OUTPUT_HEIGHTS[size];
  if (limit === null || screen.height <= limit)
    return { width: even(screen.width), height: even(screen.height) };
  return { width: even(Math.round((screen.width * limit) / screen.height)), height: even(limit) };
}

/** The encoder half, for libx264 (the fallback everywhere) and the hardware encoders. */
export function encodeArgs(
  settings: Pick<Settings, 'fps' | 'keyframeIntervalSec' | 'quality'> & Partial<Pick<Settings, 'outputSize'>>,
  screen: ScreenInfo,
  encoder: string,
  /** False for a window: its size is the window's when ffmpeg starts, not known here. */
  sizeKnown = true,
): string[] {
  const gop = Math.max(1, Math.round(settings.fps * settings.keyframeIntervalSec));
  const out = outputDimensions(screen, settings.outputSize ?? 'native');
  const kbps = bitrateKbps(settings.quality, out.width, out.height, settings.fps);
  // About half a second of buffer: enough for rate control, small enough to keep frames flowing.
  const rate = ['-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${Math.round(kbps / 2)}k`];
  // Even sizes for 4:2:0; the size is stated (not iw/ih) so that it is the same in every run.
  const evenSize = [
    '-vf',
    sizeKnown ? `scale=${out.width}:${out.height}` : 'scale=trunc(iw/2)*2:trunc(ih/2)*2',
  ];
  switch (encoder) {
    case 'h264_vaapi':
      return [
        '-vaapi_device',
        '/dev/dri/renderD128',
        '-vf',
        sizeKnown
          ? `format=nv12,hwupload,scale_vaapi=w=${out.width}:h=${out.height}`
          : 'format=nv12,hwupload,scale_vaapi=w=trunc(iw/2)*2:h=trunc(ih/2)*2',
        '-c:v',
        'h264_vaapi',
        '-g',
        String(gop),
        '-bf',
        '0',
        ...rate,
      ];
    case 'h264_nvenc':
      return [
        ...evenSize,
        '-pix_fmt',
        'yuv420p',
        '-c:v',
        'h264_nvenc',
        '-preset',
        'p1',
        '-tune',
        'ull',
        '-zerolatency',
        '1',
        '-g',
        String(gop),
        '-bf',
        '0',
        ...rate,
      ];
    case 'h264_qsv':
      return [
        ...evenSize,
        '-pix_fmt',
        'nv12',
        '-c:v',
        'h264_qsv',
        '-preset',
        'veryfast',
        '-low_delay_brc',
        '1',
        '-g',
        String(gop),
        '-bf',
        '0',
        ...rate,
      ];
    case 'h264_videotoolbox':
      return [
        ...evenSize,
        '-pix_fmt',
        'yuv420p',
        '-c:v',
        'h264_videotoolbox',
        '-realtime',
        '1',
        '-g',
        String(gop),
        '-bf',
        '0',
        ...rate,
      ];
    case 'h264_mf':
      return [
        ...evenSize,
        '-pix_fmt',
        'nv12',
        '-c:v',
        'h264_mf',
        '-scenario',
        'display_remoting',
        '-g',
        String(gop),
        ...rate,
      ];
    default:
      return [...evenSize, ...libx264Args(settings.quality, gop, kbps)];
  }
}

/**
 * libx264 with zerolatency (no B-frames, no lookahead: a frame leaves as soon as it is encoded) and a
 * keyframe exactly every `gop` frames; a preset in capped CRF, a number in CBR as before.
 */
function libx264Args(quality: Settings['quality'], gop: number, kbps: number): string[] {
  const spec = typeof quality === 'number' ? null : PRESETS[quality];
  // The same half-second buffer under the cap as in CBR, unless the preset says otherwise.
  const bufferSec = spec?.bufferSec ?? 0.5;
  const cap = ['-maxrate', `${kbps}k`, '-bufsize', `${Math.round(kbps * bufferSec)}k`];
  const rate = spec ? ['-crf', String(spec.crf), ...cap] : ['-b:v', `${kbps}k`, ...cap];
  return [
    '-pix_fmt',
    spec?.pixFmt ?? 'yuv420p',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-tune',
    'zerolatency',
    '-g',
    String(gop),
    '-keyint_min',
    String(gop),
    '-sc_threshold',
    '0',
    ...rate,
  ];
}

/**
 * Live Matroska on stdout with one frame per cluster: ffmpeg writes a cluster only when it is complete,
 * so the cluster time limit is the latency floor the server can reach.
 */
export function muxArgs(fps: number): string[] {
  const frameMs = Math.max(1, Math.floor(1000 / fps));
  return [
    '-f',
    'matroska',
    '-live',
    '1',
    '-flush_packets',
    '1',
    '-cluster_time_limit',
    String(frameMs),
    'pipe:1',
  ];
}

/** What every capture command starts with: errors only, progress on stderr, no input buffering. */
export const CAPTURE_PREAMBLE: readonly string[] = [
  '-hide_banner',
  '-loglevel',
  'error',
  '-stats_period',
  '1',
  '-progress',
  'pipe:2',
  '-nostats',
  '-fflags',
  'nobuffer',
  // No probing of the grabber: it states its size and rate itself. Probing held the first frame back
  // ~1 s, and under load guessed the frame rate from jittery timestamps (30, 45, 60 fps for 15).
  '-probesize',
  '32',
  '-analyzeduration',
  '0',
];

/** The whole ffmpeg command line for sharing a screen, with sound from `audio` (audio.ts) when given. */
export function captureArgs(
  settings: Settings,
  target: CaptureTarget,
  encoder: string,
  audio: AudioSource | null = null,
): string[] {
  return [
    ...CAPTURE_PREAMBLE,
    ...(audio ? audioClockArgs(target.platform, audio) : []),
    ...grabArgs(target, settings.fps),
    ...(audio ? audioInputArgs(target.platform, audio, settings.fps) : []),
    // A window's card goes through the window's own scaling, so that both runs make the same header.
    ...encodeArgs(
      settings,
      target.screen,
      encoder,
      !target.window || (target.card === true && !target.windowSize),
    ),
    ...(audio ? audioEncodeArgs(settings.quality) : []),
    // The encoder's frame rate is the setting, never a guess: it is written into the H.264 SPS, and a
    // restarted encoder is spliced in for the viewers only when its SPS is the same.
    '-r',
    String(settings.fps),
    ...muxArgs(settings.fps),
  ];
}
