/**
 * A viewer that decodes picture and sound: every video frame's brightness (Y average of the frame
 * scaled to one pixel) and every audio frame's level (RMS, dBFS), each with its timestamp in the stream
 * and the time it was decoded here, plus the sound itself as 48 kHz mono PCM. ffmpeg's metadata filters
 * print the values with the frame's pts on stderr as it decodes.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnTracked, waitFor } from './processes.js';

export interface DecodedFrame {
  /** Timestamp in the stream (s), on the viewer's timeline (the same for both tracks). */
  ptsSec: number;
  /** performance.now() when ffmpeg reported it. */
  atMs: number;
  /** Y average (16 black … 235 white) for video; RMS level in dBFS (-Infinity for silence) for audio. */
  value: number;
}

export interface AvViewer {
  child: ChildProcess;
  video: DecodedFrame[];
  audio: DecodedFrame[];
  /** The sound so far, 48 kHz mono s16le (the last MAX_PCM_BYTES of it). */
  pcm(): Buffer;
  exited: Promise<number | null>;
}

const MAX_PCM_BYTES = 48_000 * 2 * 20;
const MAX_FRAMES = 20_000;

export function avViewer(url: string): AvViewer {
  const child = spawnTracked(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostats',
      '-loglevel',
      'info',
      '-fflags',
      'nobuffer',
      '-flags',
      'low_delay',
      '-i',
      url,
      '-map',
      '0:v',
      '-vf',
      'scale=1:1,signalstats,metadata=print:key=lavfi.signalstats.YAVG',
      '-f',
      'null',
      '-',
      '-map',
      '0:a',
      '-af',
      'astats=metadata=1:reset=1:measure_perchannel=none,ametadata=print:key=lavfi.astats.Overall.RMS_level',
      '-ac',
      '1',
      '-ar',
      '48000',
      '-f',
      's16le',
      'pipe:1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const video: DecodedFrame[] = [];
  const audio: DecodedFrame[] = [];
  const pending = new Map<string, number>();
  let partial = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    const atMs = performance.now();
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^\[Parsed_(a?)metadata_\d+ @ ([^\]]+)\] (.*)$/.exec(line);
      if (!m) continue;
      const key = m[2];
      const pts = /pts_time:(-?[\d.]+)/.exec(m[3]);
      if (pts) {
        pending.set(key, Number(pts[1]));
        continue;
      }
      const value = /=(-?inf|-?[\d.]+)/.exec(m[3]);
      const ptsSec = pending.get(key);
      if (!value || ptsSec === undefined) continue;
      const v = value[1] === '-inf' ? -Infinity : value[1] === 'inf' ? Infinity : Number(value[1]);
      (m[1] === 'a' ? audio : video).push({ ptsSec, atMs, value: v });
    }
    for (const list of [video, audio]) if (list.length > MAX_FRAMES) list.splice(0, list.length / 2);
  });
  let chunks: Buffer[] = [];
  let bytes = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    bytes += chunk.length;
    if (bytes > 2 * MAX_PCM_BYTES) {
      const all = Buffer.concat(chunks).subarray(-MAX_PCM_BYTES);
      chunks = [all];
      bytes = all.length;
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    video,
    audio,
    pcm: () => Buffer.concat(chunks),
    exited,
  };
}

/**
 * The frequency of the tone in `pcm` (48 kHz mono s16le): the median of the periods between rising
 * zero crossings (interpolated), so a glitch or a gap where the stream restarted moves it little.
 * 0 when there is no tone (fewer than 20 crossings, or too quiet).
 */
export function toneHz(pcm: Buffer): number {
  const n = Math.floor(pcm.length / 2);
  const periods: number[] = [];
  let last = -1;
  let loud = 0;
  for (let i = 1; i < n; i++) {
    const a = pcm.readInt16LE((i - 1) * 2);
    const b = pcm.readInt16LE(i * 2);
    if (Math.abs(b) > 1000) loud++;
    if (a < 0 && b >= 0) {
      const at = i - 1 + -a / (b - a);
      if (last >= 0) periods.push(at - last);
      last = at;
    }
  }
  if (periods.length < 20 || loud < n / 10) return 0;
  periods.sort((x, y) => x - y);
  return 48_000 / periods[Math.floor(periods.length / 2)];
}

/**
 * Sound minus picture, in ms, for five changes: each turns the screen white or black (`paint`) and plays
 * a 150 ms 1 kHz beep at the same moment (`beep`), then reads when each reached `viewer`. The caller
 * judges the offsets (a median, so that one round delayed by a loaded machine does not decide).
 */
export async function beepOffsets(
  viewer: AvViewer,
  paint: (colour: string) => Promise<void>,
  beep: () => void,
): Promise<number[]> {
  const offsets: number[] = [];
  for (const [colour, dark] of [
    ['#ffffff', false],
    ['#000000', true],
    ['#ffffff', false],
    ['#000000', true],
    ['#ffffff', false],
  ] as const) {
    const since = { video: viewer.video.length, audio: viewer.audio.length };
    await paint(colour);
    beep();
    const frame = await waitFor(
      'the new colour',
      () => viewer.video.slice(since.video).find((f) => (dark ? f.value < 60 : f.value > 180)),
      { timeoutMs: 5000, intervalMs: 5 },
    );
    const heard = await waitFor(
      'the beep',
      () => viewer.audio.slice(since.audio).find((f) => f.value > -30),
      { timeoutMs: 5000, intervalMs: 5 },
    );
    offsets.push((heard.ptsSec - frame.ptsSec) * 1000);
    // Let the beep end before the next one.
    await waitFor('quiet', () => viewer.audio.at(-1)!.value < -50, { timeoutMs: 5000, intervalMs: 20 });
  }
  return offsets;
}
