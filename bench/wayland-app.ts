/**
 * The app's two ways to capture a Wayland screen, on one headless desktop in one run (issue 16: "Measure
 * both before choosing, and keep one code path if you can"):
 *
 * - Chromium's getDisplayMedia, as an Electron app would capture (Debian's Chromium on the desktop as a
 *   Wayland client, `--enable-features=WebRTCPipeWireCapturer`: the same ScreenCast portal and PipeWire).
 *   `capture`: colour change → the frame reaching a <video> of the track (requestVideoFrameCallback).
 *   `webrtc`: the same track sent through a loopback RTCPeerConnection in the page (Chromium's own
 *   encoder, its RTP, its decoder) → the frame reaching a <video> of the received track: the nearest
 *   Chromium gets to our glass to glass (an encode, a transport and a decode).
 * - Our portal path, as `mkvcast share` and the app run it (portal → pipewiresrc → our ffmpeg → Matroska
 *   over HTTP) → an ffmpeg viewer's decoded frame (glass to glass, as bench/wayland.ts).
 *
 * The screen is foot's background set through OSC 11 (the time the write returns is the draw time).
 * CPU: the consumer (Chromium's processes; or share and its children, the viewer left out) and the
 * desktop side (sway, PipeWire, the portals), from /proc over each measurement, in % of one core.
 *
 *   node dist/bench/wayland-app.js [--changes N]     prints JSON and a Markdown table
 */
import { closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startScreenCast } from '../server/wayland/portal.js';
import { i420FrameBytes, pipewireReaderArgs } from '../server/wayland/reader.js';
import { lowDelayPixelViewer } from '../support/pixels.js';
import { childPids, killAll, spawnTracked, waitFor } from '../support/processes.js';
import { startWaylandDesktop, type WaylandDesktop } from '../support/wayland.js';
import { cpuSec } from './proc.js';
import { FPS, HEIGHT, near, PALETTE, percentile, startBenchShare, WIDTH } from './wayland.js';

/** The desktop's own processes (comm names, cut at 15 characters by Linux). */
const DESKTOP = new Set(['sway', 'foot', 'pipewire', 'wireplumber', 'xdg-desktop-por', 'dbus-daemon']);

export interface WaylandAppPath {
  path:
    | 'getDisplayMedia (capture)'
    | 'getDisplayMedia + WebRTC loopback'
    | 'portal path (capture: our PipeWire reader)'
    | 'portal path (share → ffmpeg viewer)';
  samples: number;
  /** Changes whose colour never arrived within 5 s. */
  missed: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Chromium's processes, or share and its children: % of one core. */
  consumerCpuPercent: number;
  /** sway, foot, PipeWire, WirePlumber and the portals: % of one core. */
  desktopCpuPercent: number;
}

export interface WaylandAppBench {
  /** What Chromium's capture answered (or why it failed). */
  chromium: string;
  results: WaylandAppPath[];
  loadBefore: number[];
  loadAfter: number[];
}

/** Every process under `pid`, with its comm name. */
function descendants(pid: number): { pid: number; name: string }[] {
  const found: { pid: number; name: string }[] = [];
  const walk = (parent: number): void => {
    for (const child of childPids(parent)) {
      let name = '';
      try {
        name = readFileSync(`/proc/${child}/comm`, 'utf8').trim();
      } catch {
        continue;
      }
      found.push({ pid: child, name });
      walk(child);
    }
  };
  walk(pid);
  return found;
}

const cpuOf = (pid: number): number => {
  try {
    return cpuSec(pid);
  } catch {
    return 0; // it exited meanwhile
  }
};

/** CPU seconds so far of the consumer's processes and the desktop's (those alive now). */
function cpuSplit(consumer: () => number[]): { consumer: number; desktop: number } {
  const desktop = descendants(process.pid).filter((p) => DESKTOP.has(p.name));
  return {
    consumer: consumer().reduce((sum, pid) => sum + cpuOf(pid), 0),
    desktop: desktop.reduce((sum, p) => sum + cpuOf(p.pid), 0),
  };
}

/** Chromium's processes: those under this one named chromium…, and theirs. */
const chromiumPids = (): number[] =>
  descendants(process.pid)
    .filter((p) => p.name.startsWith('chrom'))
    .map((p) => p.pid);

/**
 * Paints `changes` colours and times each until `arrived(colour, since)` gives the epoch ms its frame
 * arrived; CPU measured over the whole.
 */
async function timeChanges(
  path: WaylandAppPath['path'],
  desktop: WaylandDesktop,
  changes: number,
  arrived: (rgb: number[], sinceMs: number) => Promise<number | null>,
  consumer: () => number[],
): Promise<WaylandAppPath> {
  const before = cpuSplit(consumer);
  const startMs = Date.now();
  const latencies: number[] = [];
  let missed = 0;
  for (let i = 0; i < changes; i++) {
    const [hex, rgb] = PALETTE[i % PALETTE.length];
    await desktop.setColour(hex);
    const drawnAt = performance.timeOrigin + performance.now();
    const at = await arrived(rgb, drawnAt);
    if (at === null) missed++;
    else latencies.push(at - drawnAt);
    await sleep(300 + Math.random() * 200);
  }
  const after = cpuSplit(consumer);
  const seconds = (Date.now() - startMs) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    path,
    samples: sorted.length,
    missed,
    p50Ms: Math.round(percentile(sorted, 50)),
    p95Ms: Math.round(percentile(sorted, 95)),
    maxMs: Math.round(sorted[sorted.length - 1]),
    consumerCpuPercent: Math.round(((after.consumer - before.consumer) / seconds) * 100),
    desktopCpuPercent: Math.round(((after.desktop - before.desktop) / seconds) * 100),
  };
}

// In the page: getDisplayMedia, a <video> of the track, and optionally a loopback peer connection;
// every frame each <video> shows is reduced to its middle pixel with the epoch time it arrived.
const PAGE_SCRIPT = `
window.frames = { capture: [], webrtc: [] };
window.watch = (video, into) => {
  const canvas = new OffscreenCanvas(8, 8);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  const onFrame = () => {
    const at = performance.timeOrigin + performance.now();
    context.drawImage(video, 0, 0, 8, 8);
    const d = context.getImageData(4, 4, 1, 1).data;
    window.frames[into].push([at, d[0], d[1], d[2]]);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
};
window.startCapture = async (width, height, fps) => {
  const stream = await navigator.mediaDevices.getDisplayMedia({ video: { width, height, frameRate: fps } });
  window.track = stream.getVideoTracks()[0];
  const video = document.createElement('video');
  video.muted = true;
  video.srcObject = stream;
  document.body.append(video);
  await video.play();
  window.watch(video, 'capture');
  return JSON.stringify({ label: window.track.label, settings: window.track.getSettings() });
};
window.startLoopback = async () => {
  const sender = new RTCPeerConnection();
  const receiver = new RTCPeerConnection();
  sender.onicecandidate = (e) => e.candidate && receiver.addIceCandidate(e.candidate);
  receiver.onicecandidate = (e) => e.candidate && sender.addIceCandidate(e.candidate);
  const video = document.createElement('video');
  video.muted = true;
  document.body.append(video);
  const received = new Promise((resolve) => (receiver.ontrack = (e) => resolve(e.streams[0] ?? new MediaStream([e.track]))));
  sender.addTrack(window.track);
  await sender.setLocalDescription();
  await receiver.setRemoteDescription(sender.localDescription);
  await receiver.setLocalDescription();
  await sender.setRemoteDescription(receiver.localDescription);
  video.srcObject = await received;
  await video.play();
  window.watch(video, 'webrtc');
  window.peers = [sender, receiver];
  const codec = (await receiver.getStats()) ;
  let name = '';
  codec.forEach((s) => { if (s.type === 'codec' && s.mimeType.startsWith('video/')) name ||= s.mimeType; });
  return name;
};
window.takeFrames = (into) => window.frames[into].splice(0);
`;

/** The frame of `rgb` that arrived first after `sinceMs` in the page's list `into`, or null after 5 s. */
async function pageArrival(
  page: Page,
  into: 'capture' | 'webrtc',
  rgb: number[],
  sinceMs: number,
): Promise<number | null> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    // Strings: this file is typed for Node, without the DOM (the functions are PAGE_SCRIPT's).
    const frames = (await page.evaluate(`window.takeFrames(${JSON.stringify(into)})`)) as number[][];
    const hit = frames.find(([at, r, g, b]) => at >= sinceMs && near([r, g, b], rgb));
    if (hit) return hit[0];
    await sleep(20);
  }
  return null;
}

async function measureChromium(
  desktop: WaylandDesktop,
  changes: number,
  out: WaylandAppBench,
): Promise<void> {
  const site = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html');
    response.end('<!doctype html><title>getDisplayMedia</title><body></body>');
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  let browser: Browser | null = null;
  try {
    // Not headless: Chromium captures as a client of the desktop, through the portal.
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: false,
      env: { ...process.env, ...desktop.env },
      args: [
        '--no-sandbox',
        '--ozone-platform=wayland',
        '--enable-features=WebRTCPipeWireCapturer',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // Its own "choose what to share" dialog is skipped; the portal's (chooser_type=none) shares the output.
        '--auto-select-desktop-capture-source=Entire screen',
        '--use-fake-ui-for-media-stream',
      ],
      timeout: 30_000,
    });
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
    await page.addScriptTag({ content: PAGE_SCRIPT });
    out.chromium = String(await page.evaluate(`window.startCapture(${WIDTH}, ${HEIGHT}, ${FPS})`));
    await sleep(1000);
    out.results.push(
      await timeChanges(
        'getDisplayMedia (capture)',
        desktop,
        changes,
        (rgb, since) => pageArrival(page, 'capture', rgb, since),
        chromiumPids,
      ),
    );
    const codec = String(await page.evaluate('window.startLoopback()'));
    out.chromium += ` · loopback codec ${codec}`;
    // WebRTC starts low and ramps its bitrate up: let it settle.
    await sleep(3000);
    out.results.push(
      await timeChanges(
        'getDisplayMedia + WebRTC loopback',
        desktop,
        changes,
        (rgb, since) => pageArrival(page, 'webrtc', rgb, since),
        chromiumPids,
      ),
    );
  } catch (error) {
    out.chromium = `failed: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await browser?.close().catch(() => undefined);
    await new Promise((resolve) => site.close(resolve));
  }
}

async function measureShare(desktop: WaylandDesktop, changes: number, out: WaylandAppBench): Promise<void> {
  // xdg-desktop-portal-wlr 0.7 sends a cast of an output that an earlier cast (Chromium's) read no frame
  // until the screen changes (see FrameRelay): the screen is nudged until share is live.
  let nudges = 0;
  const { share, url } = await startBenchShare('portal path', desktop.env, async () => {
    await desktop.setColour(nudges++ % 2 ? '#101010' : '#202020');
    await sleep(500);
  });
  // The same low-delay viewer as bench/glass.ts and bench/wayland.ts, so that the figures compare.
  const viewer = lowDelayPixelViewer(url);
  const frames = viewer.frames;
  await waitFor('the first frame', () => frames.length > 0, { timeoutMs: 15_000 });
  await sleep(1000);
  out.results.push(
    await timeChanges(
      'portal path (share → ffmpeg viewer)',
      desktop,
      changes,
      async (rgb, since) => {
        try {
          const seen = await waitFor(
            'the colour',
            // The viewer stamps with performance.now(); this bench's times are epoch ms.
            () => frames.find((f) => f.atMs + performance.timeOrigin >= since && near(f.rgb, rgb)),
            {
              timeoutMs: 5000,
              intervalMs: 2,
            },
          );
          return seen.atMs + performance.timeOrigin;
        } catch {
          return null;
        }
      },
      () => [share.pid as number, ...descendants(share.pid as number).map((p) => p.pid)],
    ),
  );
  viewer.child.kill('SIGKILL');
  share.kill('SIGINT');
  await new Promise((resolve) => share.once('close', resolve));
}

/** A colour as the reader's I420 carries it (BT.709, limited range: GStreamer's default for HD). */
function yuvOf([r, g, b]: number[]): number[] {
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return [
    16 + (y * 219) / 255,
    128 + ((b - y) / 1.8556) * (224 / 255),
    128 + ((r - y) / 1.5748) * (224 / 255),
  ];
}

/** The palette colour nearest to a Y, U, V sample (the matrix need not be exact: the colours are far apart). */
function nearestColour(yuv: number[]): number[] {
  let best = PALETTE[0][1];
  let bestDistance = Infinity;
  for (const [, rgb] of PALETTE) {
    const distance = yuvOf(rgb).reduce((sum, v, i) => sum + (v - yuv[i]) ** 2, 0);
    if (distance < bestDistance) [best, bestDistance] = [rgb, distance];
  }
  return best;
}

/**
 * Our capture alone: a cast from the portal and the PipeWire reader share runs (pipewireReaderArgs),
 * each I420 frame leaving it reduced to the colour of its middle pixel.
 */
async function measureReader(desktop: WaylandDesktop, changes: number, out: WaylandAppBench): Promise<void> {
  const cast = await startScreenCast({ sources: 'monitor' }, desktop.env);
  try {
    const fd = await cast.openRemote();
    const reader = spawnTracked(
      'gst-launch-1.0',
      pipewireReaderArgs(cast.stream.nodeId, WIDTH, HEIGHT, FPS, fd !== null),
      {
        env: desktop.env,
        stdio: ['ignore', 'pipe', 'pipe', fd ?? 'ignore'],
      },
    );
    if (fd !== null) closeSync(fd);
    const frameBytes = i420FrameBytes(WIDTH, HEIGHT);
    const middle = [
      (HEIGHT / 2) * WIDTH + WIDTH / 2,
      WIDTH * HEIGHT + (HEIGHT / 4) * (WIDTH / 2) + WIDTH / 4,
      WIDTH * HEIGHT + (WIDTH / 2) * (HEIGHT / 2) + (HEIGHT / 4) * (WIDTH / 2) + WIDTH / 4,
    ];
    const frames: { atMs: number; rgb: number[] }[] = [];
    let offset = 0; // bytes into the current frame
    const sample: number[] = [0, 0, 0];
    reader.stdout?.on('data', (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length) {
        const take = Math.min(chunk.length - at, frameBytes - offset);
        middle.forEach((index, i) => {
          if (index >= offset && index < offset + take) sample[i] = chunk[at + index - offset];
        });
        offset += take;
        at += take;
        if (offset === frameBytes) {
          frames.push({ atMs: performance.timeOrigin + performance.now(), rgb: nearestColour(sample) });
          if (frames.length > 300) frames.splice(0, 150);
          offset = 0;
        }
      }
    });
    reader.stderr?.resume();
    let nudges = 0;
    await waitFor(
      "the reader's first frame",
      async () => {
        if (frames.length > 0) return true;
        await desktop.setColour(nudges++ % 2 ? '#101010' : '#202020');
        await sleep(500);
        return false;
      },
      { timeoutMs: 20_000 },
    );
    await sleep(1000);
    out.results.push(
      await timeChanges(
        'portal path (capture: our PipeWire reader)',
        desktop,
        changes,
        async (rgb, since) => {
          try {
            const seen = await waitFor(
              'the colour',
              () => frames.find((f) => f.atMs >= since && f.rgb === rgb),
              { timeoutMs: 5000, intervalMs: 2 },
            );
            return seen.atMs;
          } catch {
            return null;
          }
        },
        () => [reader.pid as number],
      ),
    );
    reader.kill('SIGTERM');
    await new Promise((resolve) => reader.once('close', resolve));
  } finally {
    await cast.close();
  }
}

/** Chromium's capture, then ours, on one desktop. */
export async function benchWaylandApp(changes = 20): Promise<WaylandAppBench> {
  const out: WaylandAppBench = { chromium: '', results: [], loadBefore: loadavg(), loadAfter: [] };
  const desktop = await startWaylandDesktop({ width: WIDTH, height: HEIGHT });
  try {
    await measureChromium(desktop, changes, out);
    await measureReader(desktop, changes, out);
    await measureShare(desktop, changes, out);
  } finally {
    await killAll();
    await desktop.stop();
  }
  out.loadAfter = loadavg();
  return out;
}

export function waylandAppSection(bench: WaylandAppBench): string {
  const rows = bench.results.map(
    (r) =>
      `| ${r.path} | ${r.samples}${r.missed ? ` (${r.missed} missed)` : ''} | ${r.p50Ms} | ${r.p95Ms} | ${r.maxMs} | ${r.consumerCpuPercent} | ${r.desktopCpuPercent} |`,
  );
  const load = (l: number[]): string => l.map((v) => v.toFixed(2)).join(' ');
  return [
    `\n## The app on Wayland: Chromium's getDisplayMedia beside our portal path (${WIDTH}×${HEIGHT}@${FPS}, bench/wayland-app.ts)\n`,
    `Chromium: ${bench.chromium}. Load average before ${load(bench.loadBefore)}, after ${load(bench.loadAfter)}.\n`,
    '| path | changes | p50 ms | p95 ms | max ms | CPU % (Chromium, or share + children) | CPU % (desktop side) |',
    '| ---- | ------- | ------ | ------ | ------ | ------------------------------------- | -------------------- |',
    ...rows,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { changes: { type: 'string' } } });
  const bench = await benchWaylandApp(Number(values.changes ?? 20));
  process.stdout.write(`${JSON.stringify(bench, null, 2)}\n${waylandAppSection(bench)}\n`);
}
