/** ffmpeg viewers that reduce the picture to one averaged RGB pixel: what the colour tests look at. */
import type { ChildProcess } from 'node:child_process';
import { runToExit, spawnTracked } from './processes.js';

export interface PixelViewer {
  child: ChildProcess;
  /** Every decoded frame, with the `Date.now()` it arrived at. */
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
