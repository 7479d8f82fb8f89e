/** ffmpeg viewers that reduce the picture to one averaged RGB pixel: what the colour tests look at. */
import type { ChildProcess } from 'node:child_process';
import { runToExit, spawnTracked } from './processes.js';

export interface PixelViewer {
  child: ChildProcess;
  /** Every decoded frame, with the time it arrived at (`Date.now()`, or `performance.now()` for the low-delay one). */
  frames: { atMs: number; rgb: number[] }[];
}

/** A viewer that decodes every frame of `url` to one averaged pixel; `seconds` ends it after that much. */
export function pixelViewer(url: string, seconds?: number): PixelViewer {
  const child = spawnTracked('ffmpeg', [
    ...['-v', 'error', '-i', url],
    ...(seconds === undefined ? [] : ['-t', String(seconds)]),
    ...['-vf', 'scale=1:1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
  ]);
  const frames: PixelViewer['frames'] = [];
  let pending = Buffer.alloc(0);
  child.stdout?.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 3) {
      frames.push({ atMs: Date.now(), rgb: [...pending.subarray(0, 3)] });
      pending = pending.subarray(3);
    }
  });
  return { child, frames };
}

/**
 * The benches' glass-to-glass viewer: like pixelViewer, but decoding with no delay of its own, so that
 * what it measures is the share's. `-flags low_delay` makes the H.264 decoder run single-threaded
 * instead of frame-threaded: frame threading holds a frame per extra thread (on this 2-core machine
 * that was ~70 ms at 30 fps, 206 against 132 ms p50 on the same share). `-fflags nobuffer` and the
 * small probe start it at once. Frames are stamped with `performance.now()` as their bytes arrive;
 * the list keeps the last 5,000 to 10,000 of them.
 */
export function lowDelayPixelViewer(url: string): PixelViewer {
  const child = spawnTracked(
    'ffmpeg',
    [
      ...['-v', 'error', '-fflags', 'nobuffer', '-flags', 'low_delay', '-probesize', '32'],
      ...['-analyzeduration', '0', '-i', url],
      ...['-vf', 'scale=1:1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const frames: PixelViewer['frames'] = [];
  let pending = Buffer.alloc(0);
  child.stdout?.on('data', (chunk: Buffer) => {
    const atMs = performance.now();
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 3) {
      frames.push({ atMs, rgb: [...pending.subarray(0, 3)] });
      pending = pending.subarray(3);
    }
    if (frames.length > 10_000) frames.splice(0, 5000);
  });
  return { child, frames };
}

/** One frame (the 4th, past the first ones a joining decoder may still settle on) averaged to a pixel. */
export async function averagePixel(url: string): Promise<number[]> {
  const frame = await runToExit(
    'ffmpeg',
    [
      ...['-v', 'error', '-i', url, '-vf', 'select=gte(n\\,3),scale=1:1', '-frames:v', '1'],
      ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    ],
    { timeoutMs: 15_000 },
  );
  return [...frame.stdout];
}
