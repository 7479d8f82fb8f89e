/**
 * Encoder faults, measured: how long a SharingSession takes to serve a picture again after its ffmpeg
 * is killed (SIGKILL, 20 in a row) or hangs (SIGSTOP, 5 in a row, found by the watchdog), with the
 * default backoff and watchdog (5 s), on an Xvfb screen at the default 30 fps. One viewer stays
 * connected throughout; the bench says whether it did, and whether what it got decodes cleanly.
 *
 * Recovery: from the signal to the session's state being `live` again, which is when the new
 * encoder's first cluster has been published to the viewers.
 *
 *   node dist/bench/faults.js [--quick]     prints JSON; faultsSection() renders it for the report
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { SharingSession } from '../server/session/session.js';
import { DEFAULT_SETTINGS } from '../server/settings.js';
import { breakEncoder, ffmpegChildren } from '../support/encoder-faults.js';
import { freePort } from '../support/ports.js';
import { killAll, runToExit, waitFor } from '../support/processes.js';
import { tapStream } from '../support/stream-tap.js';
import { decode } from '../support/viewers.js';
import { startXvfb } from '../support/xvfb.js';
import { percentile, round } from '../support/stats.js';

export interface RecoveryFigures {
  signal: 'SIGKILL' | 'SIGSTOP';
  faults: number;
  /** Faults after which the session was live again (all of them, or the run failed). */
  recovered: number;
  p50Ms: number;
  maxMs: number;
}

export interface FaultsResult {
  width: number;
  height: number;
  fps: number;
  watchdogMs: number;
  runs: RecoveryFigures[];
  /** The one viewer was connected from the first fault to the last, never re-sent a header. */
  viewerStayed: boolean;
  /** What that viewer received decoded without an error, timestamps only going forward. */
  decodedCleanly: boolean;
  /** ffmpeg processes left after the session stopped. */
  leftRunning: number;
}

export async function benchFaults(options: { quick?: boolean } = {}): Promise<FaultsResult> {
  const [width, height] = [1280, 720];
  const fps = DEFAULT_SETTINGS.fps;
  const plan: [RecoveryFigures['signal'], number][] = options.quick
    ? [
        ['SIGKILL', 5],
        ['SIGSTOP', 1],
      ]
    : [
        ['SIGKILL', 20],
        ['SIGSTOP', 5],
      ];
  const xvfb = await startXvfb([{ width, height }]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mkvcast-bench-faults-'));
  const session = new SharingSession(
    { ...DEFAULT_SETTINGS, host: '127.0.0.1', port: await freePort() },
    { display: xvfb.display, env: { ...process.env, DISPLAY: xvfb.display } },
  );
  try {
    await session.start();
    const tap = await tapStream(session.links[0].url);
    await waitFor('the viewer to get the stream', () => tap.clusters >= 10, { timeoutMs: 15_000 });
    const runs: RecoveryFigures[] = [];
    for (const [signal, faults] of plan) {
      const recoveryMs: number[] = [];
      for (let i = 0; i < faults; i++) {
        const recovery = await breakEncoder(session, signal, 60_000).catch(() => null);
        if (!recovery) break;
        recoveryMs.push(recovery.recoveryMs);
        // A second of picture between faults, as a person would see it.
        await sleep(1000);
      }
      runs.push({
        signal,
        faults,
        recovered: recoveryMs.length,
        p50Ms: round(percentile(recoveryMs, 0.5), 0),
        maxMs: round(Math.max(...recoveryMs), 0),
      });
      if (recoveryMs.length < faults) break;
    }
    const viewerStayed = tap.ended === null && tap.headerSizes.length === 1;
    tap.destroy();
    const file = path.join(dir, 'received.mkv');
    await tap.save(file);
    const decoded = await decode(file, { timeoutMs: 120_000 });
    const pts = decoded.frames[0]?.ptsSec ?? [];
    const decodedCleanly =
      decoded.code === 0 &&
      decoded.stderr.trim() === '' &&
      pts.length > 0 &&
      pts.every((p, i) => i === 0 || p > pts[i - 1]);
    await session.stop();
    return {
      width,
      height,
      fps,
      watchdogMs: 5000,
      runs,
      viewerStayed,
      decodedCleanly,
      leftRunning: ffmpegChildren().length,
    };
  } finally {
    await session.stop();
    await killAll();
    await xvfb.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The report section for docs/benchmarks.md. */
export function faultsSection(result: FaultsResult | null): string {
  if (!result) return '\n## Encoder faults: time to recover\n\n_Not run._\n';
  const rows = result.runs.map(
    (r) => `| ${r.signal} ×${r.faults} | ${r.recovered}/${r.faults} | ${r.p50Ms} ms | ${r.maxMs} ms |`,
  );
  return `
## Encoder faults: time to recover

\`bench/faults.ts\`: a SharingSession sharing a ${result.width}×${result.height} Xvfb screen at ${result.fps} fps
(libx264), with the default restart backoff and a ${result.watchdogMs / 1000} s watchdog. Its ffmpeg is
killed (SIGKILL) or stopped (SIGSTOP: hung, until the watchdog kills it) again and again, a second after
each recovery. Recovery is from the signal to the session being live again (the new encoder's first
cluster published). One viewer stayed connected throughout: ${result.viewerStayed ? 'yes' : '**no**'};
what it received decoded cleanly with timestamps only going forward: ${result.decodedCleanly ? 'yes' : '**no**'};
ffmpeg processes left after stop: ${result.leftRunning}.

| fault | recovered | p50 | max |
|---|---|---|---|
${rows.join('\n')}
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = process.argv.includes('--quick');
  const ok = await runToExit('Xvfb', ['-help'], { timeoutMs: 5000 }).catch(() => null);
  if (!ok) throw new Error('Xvfb is needed: apt-get install xvfb');
  console.log(JSON.stringify(await benchFaults({ quick }), null, 2));
}
