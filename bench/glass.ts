/**
 * Screen sharing, measured: glass-to-glass latency and capture frame rate under Xvfb.
 *
 * Latency: the root window is painted a new colour (xsetroot; the time it returns is the draw time, as
 * the X server has then cleared the window), and a viewer (ffmpeg decoding every frame to one averaged
 * pixel, no buffering) reports when a frame of that colour arrives. The same measurement runs against
 * the limit: ffmpeg capturing the same display with the same encoder settings and serving one viewer
 * itself (`-listen 1`), with no mkvcast in between.
 *
 * Frame rate and encoder CPU: mpv plays a moving test pattern full screen on the display while
 * `mkvcast share` captures it; the viewer counts frames, /proc gives the ffmpeg child's CPU.
 *
 *   node dist/bench/glass.js [--quick]     prints JSON; run.ts puts it into docs/benchmarks.md
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { captureArgs } from '../server/ffmpeg/capture.js';
import { DEFAULT_SETTINGS } from '../server/settings.js';
import { childPids, killAll, runToExit, spawnTracked, waitFor } from '../support/processes.js';
import { startXvfb, type Xvfb } from '../support/xvfb.js';
import { lowDelayPixelViewer } from '../support/pixels.js';
import { freePort } from '../support/ports.js';

const MKVCAST_BIN = fileURLToPath(new URL('../../bin/mkvcast.js', import.meta.url));

const PALETTE: [string, number[]][] = [
  ['#ff0000', [255, 0, 0]],
  ['#00ff00', [0, 255, 0]],
  ['#0000ff', [0, 0, 255]],
  ['#ffffff', [255, 255, 255]],
  ['#000000', [0, 0, 0]],
  ['#ffff00', [255, 255, 0]],
  ['#00ffff', [0, 255, 255]],
  ['#ff00ff', [255, 0, 255]],
];

export interface LatencyResult {
  samples: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface GlassResult {
  width: number;
  height: number;
  fps: number;
  mkvcast: LatencyResult;
  direct: LatencyResult;
  /** mkvcast p50 / direct p50. */
  ratio: number;
  /** Frames per second a viewer received while mpv played a moving pattern on the screen. */
  achievedFps: number;
  /** ffmpeg (capture + libx264) CPU while doing so, % of one core. */
  encoderCpuPct: number;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function summarise(values: number[]): LatencyResult {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 10) / 10;
  return {
    samples: sorted.length,
    p50Ms: round(percentile(sorted, 0.5)),
    p95Ms: round(percentile(sorted, 0.95)),
    maxMs: round(sorted.at(-1) ?? 0),
  };
}

/** The low-delay viewer every bench measures glass to glass with (support/pixels.ts). */
export const pixelViewer = lowDelayPixelViewer;

const near = (a: number[], b: number[]): boolean => a.every((v, i) => Math.abs(v - b[i]) < 48);

/** Paints `rounds` colours one after another and times each until the viewer shows it. */
export async function measureLatency(
  xvfb: Xvfb,
  viewer: ReturnType<typeof pixelViewer>,
  rounds: number,
): Promise<number[]> {
  await waitFor('the first decoded frame', () => viewer.frames.length > 0, { timeoutMs: 15_000 });
  const latencies: number[] = [];
  let index = 0;
  for (let i = 0; i < rounds; i++) {
    index = (index + 1 + Math.floor(Math.random() * (PALETTE.length - 1))) % PALETTE.length;
    const [name, rgb] = PALETTE[index];
    await xvfb.paint(name);
    const drawnMs = performance.now();
    try {
      const frame = await waitFor(
        'the colour',
        () => viewer.frames.find((f) => f.atMs >= drawnMs && near(f.rgb, rgb)),
        {
          timeoutMs: 3000,
          intervalMs: 2,
        },
      );
      latencies.push(frame.atMs - drawnMs);
    } catch {
      // A missed colour counts as the timeout: it must show in the tail, not vanish.
      latencies.push(3000);
    }
    await sleep(150 + Math.random() * 150);
  }
  return latencies;
}

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0;
  }
}

export async function startShare(xvfb: Xvfb, fps: number): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawnTracked(
    process.execPath,
    [
      MKVCAST_BIN,
      'share',
      '--display',
      xvfb.display,
      '--fps',
      String(fps),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--token',
      'none',
      '--quiet',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const url = `http://127.0.0.1:${port}/live.mkv`;
  await waitFor(
    'mkvcast share to serve',
    async () => (await fetch(url.replace('live.mkv', 'status')).catch(() => null))?.ok,
    {
      timeoutMs: 20_000,
      intervalMs: 200,
    },
  );
  return { child, url };
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await closed;
  clearTimeout(timer);
}

export async function benchGlass(
  options: { quick?: boolean; sizes?: [number, number][] } = {},
): Promise<GlassResult[]> {
  const rounds = options.quick ? 12 : 40;
  const fps = 30;
  const sizes =
    options.sizes ??
    (options.quick
      ? [[1280, 720]]
      : [
          [1280, 720],
          [1920, 1080],
        ]);
  const results: GlassResult[] = [];
  for (const [width, height] of sizes) {
    const xvfb = await startXvfb([{ width, height }]);
    try {
      // mkvcast share
      const share = await startShare(xvfb, fps);
      const viewer = pixelViewer(share.url);
      const ours = await measureLatency(xvfb, viewer, rounds);
      viewer.child.kill('SIGKILL');

      // Frame rate and encoder CPU with a moving picture on the screen.
      const player = spawnTracked(
        'mpv',
        [
          '--no-config',
          '--really-quiet',
          '--vo=x11',
          '--fs',
          '--loop',
          `av://lavfi:testsrc2=size=${width}x${height}:rate=${fps}`,
        ],
        { stdio: 'ignore', env: { ...process.env, DISPLAY: xvfb.display } },
      );
      await sleep(2000);
      const counter = pixelViewer(share.url);
      await waitFor('frames', () => counter.frames.length > 0, { timeoutMs: 15_000 });
      const ffmpegPid = childPids(share.child.pid as number)[0];
      const windowSec = options.quick ? 4 : 10;
      const ticks0 = cpuTicks(ffmpegPid);
      const frames0 = counter.frames.length;
      const t0 = performance.now();
      await sleep(windowSec * 1000);
      const elapsedSec = (performance.now() - t0) / 1000;
      const achievedFps = (counter.frames.length - frames0) / elapsedSec;
      const encoderCpuPct = ((cpuTicks(ffmpegPid) - ticks0) / 100 / elapsedSec) * 100;
      counter.child.kill('SIGKILL');
      player.kill('SIGKILL');
      await stopChild(share.child);
      await xvfb.paint('#000000');

      // The limit: ffmpeg alone, same capture and encoder settings, serving one viewer itself.
      const port = await freePort();
      const settings = { ...DEFAULT_SETTINGS, fps };
      const screen = {
        id: 'screen',
        name: 'screen',
        x: 0,
        y: 0,
        width,
        height,
        scaleFactor: 1,
        primary: true,
      };
      const args = captureArgs(settings, { platform: 'linux', screen, display: xvfb.display }, 'libx264');
      args.splice(args.length - 1, 1, '-listen', '1', `http://127.0.0.1:${port}/live.mkv`);
      const direct = spawnTracked('ffmpeg', args, { stdio: ['pipe', 'ignore', 'ignore'] });
      await sleep(500);
      const directViewer = pixelViewer(`http://127.0.0.1:${port}/live.mkv`);
      const theirs = await measureLatency(xvfb, directViewer, rounds);
      directViewer.child.kill('SIGKILL');
      direct.kill('SIGKILL');

      const mkvcast = summarise(ours);
      const limit = summarise(theirs);
      results.push({
        width,
        height,
        fps,
        mkvcast,
        direct: limit,
        ratio: Math.round((mkvcast.p50Ms / Math.max(limit.p50Ms, 1)) * 100) / 100,
        achievedFps: Math.round(achievedFps * 10) / 10,
        encoderCpuPct: Math.round(encoderCpuPct),
      });
    } finally {
      await killAll();
      await xvfb.stop();
    }
  }
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = process.argv.includes('--quick');
  const ok = await runToExit('Xvfb', ['-help'], { timeoutMs: 5000 }).catch(() => null);
  if (!ok) throw new Error('Xvfb is needed: apt-get install xvfb');
  console.log(JSON.stringify(await benchGlass({ quick }), null, 2));
}

/** The report section for docs/benchmarks.md. */
export function glassSection(results: GlassResult[] | null): string {
  if (!results) return '\n## Screen sharing: glass to glass\n\n_Not run (`--quick` or `--no-glass`)._\n';
  const rows = results.map(
    (r) =>
      `| ${r.width}×${r.height} @ ${r.fps} | ${r.mkvcast.p50Ms} / ${r.mkvcast.p95Ms} / ${r.mkvcast.maxMs} (${r.mkvcast.samples}) | ` +
      `${r.direct.p50Ms} / ${r.direct.p95Ms} / ${r.direct.maxMs} (${r.direct.samples}) | ${r.ratio}× | ${r.achievedFps} | ${r.encoderCpuPct}% |`,
  );
  const at720 = results.find((r) => r.height === 720);
  const at1080 = results.find((r) => r.height === 1080);
  const verdict = (ok: boolean): string => (ok ? '**met**' : '**not met**');
  const goals = [
    at720 &&
      `| p50 within 1.3× of ffmpeg serving directly (720p30) | ${at720.mkvcast.p50Ms} ms vs ${at720.direct.p50Ms} ms: ${at720.ratio}× | ${verdict(at720.ratio <= 1.3)} |`,
    at720 &&
      `| p95 under 200 ms (720p30) | ${at720.mkvcast.p95Ms} ms | ${verdict(at720.mkvcast.p95Ms < 200)} |`,
    at1080 &&
      `| 1080p30 captured at ≥ 29.5 fps with libx264 | ${at1080.achievedFps} fps | ${verdict(at1080.achievedFps >= 29.5)} |`,
  ].filter(Boolean);
  return `
## Screen sharing: glass to glass

\`bench/glass.ts\`, under Xvfb. The root window is painted a new colour (\`xsetroot\`; its return is the draw
time) and a viewer (\`ffmpeg -fflags nobuffer -flags low_delay\` decoding every frame to one averaged pixel)
notes when a frame of that colour arrives: that is the latency, screen to decoded frame, through
\`mkvcast share\` (x11grab, libx264 veryfast/zerolatency, one frame per cluster, the server, HTTP). The limit is
measured in the same run: ffmpeg capturing the same display with the same arguments and serving its one
viewer itself (\`-listen 1\`). Frame rate and encoder CPU: mpv plays a moving \`testsrc2\` full screen while
\`mkvcast share\` captures it; the viewer counts frames over 10 s and /proc gives the ffmpeg child's CPU.

| screen | mkvcast p50 / p95 / max ms (samples) | ffmpeg direct p50 / p95 / max ms | p50 ratio | frames/s received | encoder CPU (of one core) |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

| goal | measured |  |
| --- | --- | --- |
${goals.join('\n')}

For context (measured before on this machine): ffmpeg's default Matroska clustering, as in the old
screencast recipe (\`nc -l | server\`), gave about 1.06 s before any server.
`;
}
