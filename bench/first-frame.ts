/**
 * A new viewer's time to its first decoded frame: the wall time of `ffmpeg -i URL -frames:v 1 -f null -`
 * from spawn to exit, which includes ffmpeg's own start-up (measured alone on the local file, as the
 * floor) and its probing of the stream.
 */
import { spawnChild } from './children.js';

const TIMEOUT_MS = 10_000;

/** Milliseconds from spawning ffmpeg to its exit after decoding one video frame of `input`. */
export async function firstFrameMs(ffmpeg: string, input: string): Promise<number> {
  const startNs = process.hrtime.bigint();
  const child = spawnChild(
    ffmpeg,
    ['-hide_banner', '-nostdin', '-v', 'error', '-i', input, '-frames:v', '1', '-f', 'null', '-'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void child.stop();
  }, TIMEOUT_MS);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  const ms = Number(process.hrtime.bigint() - startNs) / 1e6;
  if (timedOut) throw new Error(`ffmpeg -i ${input}: no frame in ${TIMEOUT_MS / 1000} s`);
  if (code !== 0)
    throw new Error(`ffmpeg -i ${input} failed (${signal ?? code}): ${child.stderrTail().trim()}`);
  return ms;
}

/** `runs` timings one after another, and why the runs that failed did. */
export async function firstFrameRuns(
  ffmpeg: string,
  input: string,
  runs: number,
): Promise<{ times: number[]; failures: string[] }> {
  const times: number[] = [];
  const failures: string[] = [];
  for (let i = 0; i < runs; i++) {
    try {
      times.push(await firstFrameMs(ffmpeg, input));
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  return { times, failures };
}
