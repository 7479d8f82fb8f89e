/**
 * The sound half of the capture command: a device input per platform, or silence, and the Opus encoder.
 * Pure argument builders; capture.ts puts them beside the picture's.
 */
import type { Quality, Settings } from '../api.js';
import type { CapturePlatform } from './capture.js';

/** What the capture ffmpeg takes its sound from: a device (by its platform id), or silence in its place. */
export type AudioSource = { kind: 'device'; id: string } | { kind: 'silence' };

export const OPUS_SAMPLE_RATE = 48_000;
export const OPUS_CHANNELS = 2;
/** 10 ms Opus frames: half the default 20 ms of delay, for a few % more bytes. */
export const OPUS_FRAME_MS = 10;

/**
 * PulseAudio hands ffmpeg sound in fragments of this many ms. Its default for a monitor source is far
 * longer (the server configures up to 2 s), and ffmpeg stamps a fragment when it arrives: smaller
 * fragments mean sound that is both earlier and stamped closer to when it played.
 */
const PULSE_FRAGMENT_MS = 10;

/** Opus kbit/s per picture preset: text is mostly still slides (speech), motion is video and games. */
const OPUS_KBPS: Record<Quality, number> = { text: 64, text444: 64, balanced: 96, motion: 128 };

/** The Opus bitrate (kbit/s) for a quality setting: presets map to a rate; a video bitrate picks a band. */
export function audioBitrateKbps(quality: Settings['quality']): number {
  if (typeof quality !== 'number') return OPUS_KBPS[quality];
  return quality < 1000 ? 48 : quality < 4000 ? 96 : 128;
}

/** The input for a sound device on each platform. */
export function audioDeviceArgs(platform: CapturePlatform, id: string): string[] {
  switch (platform) {
    case 'linux':
      return [
        '-f',
        'pulse',
        // Ask the sound server for the encoder's own format: no resampling in ffmpeg in the usual case.
        '-sample_rate',
        String(OPUS_SAMPLE_RATE),
        '-channels',
        String(OPUS_CHANNELS),
        '-fragment_size',
        String((OPUS_SAMPLE_RATE * OPUS_CHANNELS * 2 * PULSE_FRAGMENT_MS) / 1000),
        // 10 ms packets: a second of them may wait while the muxer holds sound for a late picture.
        '-thread_queue_size',
        '128',
        '-i',
        id,
      ];
    case 'win32':
      // dshow's default buffer is 500 ms; 20 ms keeps the sound close to the picture.
      return ['-f', 'dshow', '-audio_buffer_size', '20', '-thread_queue_size', '128', '-i', `audio=${id}`];
    case 'darwin':
      return ['-f', 'avfoundation', '-thread_queue_size', '128', '-i', `:${id}`];
  }
}

/**
 * Silence at the encoder's format, paced in real time (-re: lavfi would otherwise make it as fast as it
 * can). It stands in for a device that went away: the Opus track and its header stay the same.
 */
export function silenceArgs(): string[] {
  return [
    '-re',
    '-f',
    'lavfi',
    '-i',
    `anullsrc=r=${OPUS_SAMPLE_RATE}:cl=${OPUS_CHANNELS === 2 ? 'stereo' : 'mono'}`,
  ];
}

/**
 * The input half for `source`: a device, or silence. A device's sound is delayed by one frame interval
 * of the picture at `fps`: the grabbed picture shows the screen as it was about a frame before its
 * timestamp (under Xvfb, a colour painted at t is first in the frame stamped t + 18…65 ms at 30 fps and
 * t + 66…148 ms at 15 fps, while pulse stamps a beep within ±10 ms of when it was played).
 */
export function audioInputArgs(platform: CapturePlatform, source: AudioSource, fps: number): string[] {
  if (source.kind === 'silence') return silenceArgs();
  return ['-itsoffset', (1 / fps).toFixed(4), ...audioDeviceArgs(platform, source.id)];
}

/**
 * Timestamps from one clock. Each of ffmpeg's inputs is otherwise moved to start at 0 on its own, which
 * puts the sound early by the time between opening the grabber and the sound device. On Linux x11grab
 * and pulse both stamp with the wall clock (checked: a capture's first video and audio stamps are
 * epoch seconds, a beep is stamped within ±10 ms of when it was played); -copyts keeps those stamps,
 * so sound and picture that happened together carry the same time. Elsewhere it is not checked that
 * the grabber and the sound device share a clock (dshow may stamp with its graph's clock), and with
 * -copyts two clocks would hold the muxer up to 10 s, so each input starts at 0 there. Silence is not
 * stamped by the wall clock (lavfi starts at 0), so it starts at 0 too.
 */
export function audioClockArgs(platform: CapturePlatform, source: AudioSource): string[] {
  return source.kind === 'device' && platform === 'linux' ? ['-copyts'] : [];
}

/** The level meter's window: one reading every 100 ms, the RMS of that window. */
const METER_SAMPLES = OPUS_SAMPLE_RATE / 10;
const METER_KEY = 'lavfi.astats.Overall.RMS_level';
/** Quieter than this is silence (-inf from astats, or a level no one hears). */
export const SILENCE_DB = -100;

/**
 * The sound level (dBFS) from one line of the capture ffmpeg's stderr, or null for any other line.
 * The meter's `frame:N pts:…` lines are meter lines too: `isMeterLine` says which to keep out of the
 * error text.
 */
export function parseAudioLevel(line: string): number | null {
  if (!line.startsWith(`${METER_KEY}=`)) return null;
  const value = Number(line.slice(METER_KEY.length + 1));
  return Number.isFinite(value) ? Math.max(SILENCE_DB, Math.round(value * 10) / 10) : SILENCE_DB;
}

export function isMeterLine(line: string): boolean {
  return line.startsWith(`${METER_KEY}=`) || /^frame:\d+\s+pts:/.test(line);
}

/**
 * The encoder half: the first input's picture, the second input's sound, as low-delay Opus 48 kHz, and
 * a level meter on a branch of its own (asplit), printed on stderr: the 100 ms windows it needs hold
 * back only the meter, never the sound. `direct=1`: without it ametadata fills a 32 KB buffer before
 * writing (45 s of readings).
 */
export function audioEncodeArgs(quality: Settings['quality']): string[] {
  return [
    '-filter_complex',
    // Sound cards run a little fast or slow against the wall clock, and pulse's stamps jitter by a few
    // ms: follow the stamps by stretching at most 1 sample per second, and fill or cut once they are
    // 20 ms apart (the default, 100 ms, let the sound drift ~100 ms ahead of the picture: measured in
    // test/sound.test.ts, -127…-159 ms at 15 fps against -74…-115 ms with 20 ms).
    `[1:a]aresample=async=1:min_hard_comp=0.02,asplit=2[aout][meter];` +
      `[meter]asetnsamples=n=${METER_SAMPLES},` +
      `astats=metadata=1:reset=1:measure_perchannel=none:measure_overall=RMS_level,` +
      `ametadata=print:key=${METER_KEY}:file='pipe\\:2':direct=1,anullsink`,
    '-map',
    '0:v',
    '-map',
    '[aout]',
    '-ar',
    String(OPUS_SAMPLE_RATE),
    '-ac',
    String(OPUS_CHANNELS),
    '-c:a',
    'libopus',
    '-application',
    'lowdelay',
    '-frame_duration',
    String(OPUS_FRAME_MS),
    '-b:a',
    `${audioBitrateKbps(quality)}k`,
  ];
}
