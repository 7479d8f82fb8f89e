/**
 * The PipeWire reader's and the encoder's command lines for a Wayland screen. Debian's ffmpeg 5.1
 * cannot read PipeWire, so `gst-launch-1.0 pipewiresrc` reads the portal's stream and hands raw I420
 * frames to our ffmpeg on its fd 3, which encodes and muxes exactly as for x11grab (the same encode and
 * mux builders), so one frame a cluster, splicing on restart and sound stay the same.
 */
import type { ScreenInfo, Settings } from '../api.js';
import { audioClockArgs, audioEncodeArgs, audioInputArgs, type AudioSource } from '../ffmpeg/audio.js';
import { CAPTURE_PREAMBLE, cardArgs, encodeArgs, muxArgs } from '../ffmpeg/capture.js';

/** The fd number the PipeWire connection has in the reader (the 4th entry of spawn's stdio). */
export const PIPEWIRE_FD_IN_CHILD = 3;

const even = (n: number): number => Math.max(2, n - (n % 2));

/**
 * `gst-launch-1.0` arguments: the portal's PipeWire stream as raw I420 at a fixed size on stdout.
 * - keepalive-time: a portal sends a frame only when the screen changes; pipewiresrc resends the last
 *   one after this many ms, so a still screen keeps the encoder (and the viewers) going.
 * - videoscale into the first size, borders kept: a shared window that is resized is scaled into the
 *   size the stream started with (letterboxed), so the encoder and every viewer carry on.
 * - fdsink sync=false: frames go out as they come, never held to a clock.
 */
export function pipewireReaderArgs(
  nodeId: number,
  width: number,
  height: number,
  fps: number,
  withFd = true,
): string[] {
  const keepaliveMs = Math.max(1, Math.floor(1000 / fps));
  return [
    '-q',
    'pipewiresrc',
    // Without the portal's fd, pipewiresrc connects to the user's PipeWire daemon itself.
    ...(withFd ? [`fd=${PIPEWIRE_FD_IN_CHILD}`] : []),
    `path=${nodeId}`,
    `keepalive-time=${keepaliveMs}`,
    'do-timestamp=true',
    '!',
    'videoconvert',
    '!',
    'videoscale',
    'add-borders=true',
    '!',
    `video/x-raw,format=I420,width=${even(width)},height=${even(height)},pixel-aspect-ratio=1/1`,
    '!',
    'fdsink',
    'fd=1',
    'sync=false',
  ];
}

/** Bytes of one I420 frame as the reader sends it (even sizes, chroma at half size both ways). */
export function i420FrameBytes(width: number, height: number): number {
  const [w, h] = [even(width), even(height)];
  return w * h + 2 * (w / 2) * (h / 2);
}

/** The input half of ffmpeg: raw frames from the reader on stdin, stamped as they arrive. */
export function rawFramesInputArgs(width: number, height: number, fps: number): string[] {
  return [
    '-f',
    'rawvideo',
    '-pix_fmt',
    'yuv420p',
    '-video_size',
    `${even(width)}x${even(height)}`,
    '-framerate',
    String(fps),
    // Frames come when the screen changes or the keepalive fires, not at a steady rate: their arrival
    // time is their timestamp, and `-r` below makes the constant rate the encoder's SPS states.
    '-use_wallclock_as_timestamps',
    '1',
    '-thread_queue_size',
    '8',
    '-i',
    'pipe:0',
  ];
}

/**
 * The whole ffmpeg command line for a Wayland screen (the same shape as captureArgs for x11grab): the
 * reader's frames, or the Paused card (`card`) at the same size and pixel format so that it splices,
 * with the sound of `audio` (ffmpeg/audio.ts) when given. Under `-copyts` the raw frames' wall-clock
 * stamps and pulse's share one clock, as x11grab's do.
 */
export function portalCaptureArgs(
  settings: Settings,
  screen: ScreenInfo,
  encoder: string,
  options: { audio?: AudioSource | null; card?: boolean } = {},
): string[] {
  const audio = options.audio ?? null;
  const picture = options.card
    ? cardArgs(even(screen.width), even(screen.height), settings.fps, 'yuv420p')
    : rawFramesInputArgs(screen.width, screen.height, settings.fps);
  return [
    ...CAPTURE_PREAMBLE,
    ...(audio ? audioClockArgs('linux', audio) : []),
    ...picture,
    ...(audio ? audioInputArgs('linux', audio, settings.fps) : []),
    ...encodeArgs(settings, screen, encoder),
    ...(audio ? audioEncodeArgs(settings.quality) : []),
    '-r',
    String(settings.fps),
    ...muxArgs(settings.fps),
  ];
}
