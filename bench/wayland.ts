/**
 * Wayland beside X11, in the same run: glass-to-glass latency and CPU of `mkvcast share` at
 * 1280×720@30 on the headless Wayland desktop (ScreenCast portal → pipewiresrc → our ffmpeg) and on
 * Xvfb (x11grab).
 *
 * Latency: the screen is given a new colour (foot's background through OSC 11 on Wayland, xsetroot
 * on X11; the time the write returns is the draw time), and a viewer (bench/glass.ts's: ffmpeg with
 * low-delay decoding, every frame to one averaged pixel) reports when a frame of that colour arrives. CPU: the share process and all its
 * children (ffmpeg, and the PipeWire reader on Wayland), from /proc, over the whole measurement.
 *
 *   node dist/bench/wayland.js [--changes N]     prints JSON and a Markdown table
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { lowDelayPixelViewer } from '../support/pixels.js';
import { freePort } from '../support/ports.js';
import { childPids, killAll, spawnTracked, waitFor } from '../support/processes.js';
import { startWaylandDesktop } from '../support/wayland.js';
import { startXvfb } from '../support/xvfb.js';

const MKVCAST_BIN = fileURLToPath(new URL('../../bin/mkvcast.js', import.meta.url));
export const WIDTH = 1280;
export const HEIGHT = 720;
export const FPS = 30;

/** The colours painted in turn, with what a viewer's pixel reads for each. */
export const PALETTE: [string, number[]][] = [
  ['#ff0000', [255, 0, 0]],
  ['#00ff00', [0, 255, 0]],
  ['#0000ff', [0, 0, 255]],
  ['#ffffff', [255, 255, 255]],
  ['#000000', [0, 0, 0]],
  ['#ffff00', [255, 255, 0]],
];

export interface CaptureBenchResult {
  path: 'wayland' | 'x11';
  samples: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** CPU of share and its children, in % of one core. */
  cpuPercent: number;
}

export const near = (pixel: number[], colour: number[]): boolean =>
  pixel.every((v, i) => Math.abs(v - colour[i]) < 40);

export const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** utime + stime of a process, in clock ticks (100 a second on Linux). */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

const treeTicks = (pid: number): number => [pid, ...childPids(pid)].reduce((sum, p) => sum + cpuTicks(p), 0);

/**
 * `mkvcast share` at the bench's frame rate on a free port of 127.0.0.1, resolved once it has printed
 * its link; `whileWaiting` runs between checks (a screen that must change before a cast sends anything).
 */
export async function startBenchShare(
  label: string,
  env: NodeJS.ProcessEnv,
  whileWaiting?: () => Promise<void>,
): Promise<{ share: ChildProcess; url: string }> {
  const port = await freePort();
  const share = spawnTracked(
    process.execPath,
    [
      MKVCAST_BIN,
      'share',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--token',
      'none',
      '--fps',
      String(FPS),
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let said = '';
  share.stdout?.on('data', (d: Buffer) => (said += d.toString()));
  share.stderr?.on('data', (d: Buffer) => (said += d.toString()));
  await waitFor(
    `${label}: share to print its link`,
    async () => {
      if (said.includes('live.mkv') || share.exitCode !== null) return true;
      await whileWaiting?.();
      return false;
    },
    { timeoutMs: 30_000 },
  );
  if (share.exitCode !== null) throw new Error(`${label}: share exited: ${said}`);
  return { share, url: `http://127.0.0.1:${port}/live.mkv` };
}

async function measure(
  path: CaptureBenchResult['path'],
  env: NodeJS.ProcessEnv,
  paint: (colour: string) => Promise<void>,
  changes: number,
): Promise<CaptureBenchResult> {
  const { share, url } = await startBenchShare(path, env);
  // The same low-delay viewer as bench/glass.ts, so that the two benches' figures compare.
  const viewer = lowDelayPixelViewer(url);
  const frames = viewer.frames;
  await waitFor(`${path}: first frame`, () => frames.length > 0, { timeoutMs: 15_000 });
  await sleep(1000);
  const ticksBefore = treeTicks(share.pid as number);
  const startMs = performance.now();
  const latencies: number[] = [];
  for (let i = 0; i < changes; i++) {
    const [hex, rgb] = PALETTE[i % PALETTE.length];
    await paint(hex);
    const drawnAt = performance.now();
    const seen = await waitFor(
      `${path}: a frame of ${hex}`,
      () => frames.find((f) => f.atMs >= drawnAt && near(f.rgb, rgb)),
      { timeoutMs: 5000, intervalMs: 2 },
    );
    latencies.push(seen.atMs - drawnAt);
    await sleep(300 + Math.random() * 200);
  }
  const cpuPercent =
    ((treeTicks(share.pid as number) - ticksBefore) / 100 / ((performance.now() - startMs) / 1000)) * 100;
  viewer.child.kill('SIGKILL');
  share.kill('SIGINT');
  await new Promise((resolve) => share.once('close', resolve));
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    path,
    samples: sorted.length,
    p50Ms: Math.round(percentile(sorted, 50)),
    p95Ms: Math.round(percentile(sorted, 95)),
    maxMs: Math.round(sorted[sorted.length - 1]),
    cpuPercent: Math.round(cpuPercent),
  };
}

/** Both paths, one after the other, on this machine. */
export async function benchWayland(changes = 20): Promise<CaptureBenchResult[]> {
  const results: CaptureBenchResult[] = [];
  const desktop = await startWaylandDesktop({ width: WIDTH, height: HEIGHT });
  try {
    results.push(await measure('wayland', desktop.env, (c) => desktop.setColour(c), changes));
  } finally {
    await killAll();
    await desktop.stop();
  }
  const xvfb = await startXvfb([{ width: WIDTH, height: HEIGHT }]);
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: xvfb.display };
    delete env.WAYLAND_DISPLAY;
    delete env.XDG_SESSION_TYPE;
    results.push(await measure('x11', env, (c) => xvfb.paint(c), changes));
  } finally {
    await killAll();
    await xvfb.stop();
  }
  return results;
}

export function waylandSection(results: CaptureBenchResult[] | null): string {
  if (!results) return '';
  const rows = results.map(
    (r) => `| ${r.path} | ${r.samples} | ${r.p50Ms} | ${r.p95Ms} | ${r.maxMs} | ${r.cpuPercent} |`,
  );
  const [w, x] = [results.find((r) => r.path === 'wayland'), results.find((r) => r.path === 'x11')];
  const ratio = w && x ? `\nWayland / X11, median latency: ${(w.p50Ms / x.p50Ms).toFixed(2)}×\n` : '';
  return [
    `\n## Wayland beside X11 (${WIDTH}×${HEIGHT}@${FPS}, bench/wayland.ts)\n`,
    '| path | changes | p50 ms | p95 ms | max ms | CPU % of a core (share + children) |',
    '| ---- | ------- | ------ | ------ | ------ | ---------------------------------- |',
    ...rows,
    ratio,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { changes: { type: 'string' } } });
  const results = await benchWayland(Number(values.changes ?? 20));
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n${waylandSection(results)}\n`);
}
