/**
 * Scale: N WebRTC viewers against N HTTP viewers of the same `mkvcast serve` (H.264 + Opus at the
 * rate of a share's default `balanced` quality, looped), one set after the other, with the server's
 * CPU (its node process and its ffmpeg) and RSS over the same window, and whether every viewer stayed
 * in real time. Of the WebRTC viewers, `pages` are real Chromium pages on the landing page (one
 * headless browser, one tab each; each page's frames shown a second by requestVideoFrameCallback, and
 * its freezes), the rest werift clients in processes of their own (video frames a second received).
 * Chromium's and the clients' CPU are measured apart from the server's: they share this machine's
 * cores, so the machine's total is given too.
 *
 *   node dist/bench/webrtc-scale.js [N] [SECONDS] [--height 720|1080] [--kbps K] [--pages P] [--cpu-prof DIR] [--no-http]
 *
 * prints JSON. `--cpu-prof DIR`: the server runs under `node --cpu-prof` and writes its profile there.
 */
import { readFileSync, statSync } from 'node:fs';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { StreamStatus } from '../server/api.js';
import { launchChromium } from '../support/browser.js';
import { makeMedia } from '../support/media.js';
import { freePort } from '../support/ports.js';
import { childPids, killAll, spawnTracked, waitFor } from '../support/processes.js';
import { countFrames, playback, transportLine, type PagePlayback } from '../support/webrtc-page.js';
import { cpuSec, machineCpuSec } from './proc.js';
import type { ClientsResult } from './whep-clients.js';

const MKVCAST_BIN = fileURLToPath(new URL('../../bin/mkvcast.js', import.meta.url));
const PER_PROCESS = 10;
const CLIENTS = fileURLToPath(new URL('./whep-clients.js', import.meta.url));

export interface ScaleOptions {
  viewers: number;
  seconds: number;
  /** 720 or 1080 (16:9). */
  height: number;
  /** The video's rate: a share's `balanced` cap at that size (2.1 Mbit/s at 720p30, 4.8 at 1080p30). */
  bitrateKbps: number;
  /** Real Chromium pages among the WebRTC viewers. */
  pages: number;
  /** Where the server's `node --cpu-prof` profile goes; none when null. */
  cpuProfDir: string | null;
  http: boolean;
}

export const BALANCED_KBPS: Record<number, number> = { 720: 2100, 1080: 4800 };

export interface ScaleRow {
  transport: 'webrtc' | 'http';
  height: number;
  bitrateKbps: number;
  viewers: number;
  /** The file's rate (video, audio, container), kbit/s. */
  streamKbps: number;
  /** Viewers the server kept in real time: it sent each ≥ 90% of the stream's rate over the window, with no skip. */
  realTime: number;
  /** What the server sent a viewer, kbit/s: min / median. */
  sentKbps: [number, number];
  /** HTTP: viewers whose reads went on all along. */
  received?: number;
  /** WebRTC: werift clients that received ≥ 95% of the frame rate. */
  clientsRealTime?: number;
  /** WebRTC: offers the clients could not make or get answered, counted by reason. */
  failures?: string[];
  /** Server CPU (node + its ffmpeg), % of one core, over the window. */
  cpuPercent: number;
  rssMb: number;
  skips: number;
  maxLagMs: number;
  /** WebRTC: frames a second the werift clients received, min / median. */
  fps?: [number, number];
  /** WebRTC: each Chromium page's playback. */
  pages?: PagePlayback[];
  /** CPU of the viewers on this machine, % of one core: Chromium (all its processes), the werift clients. */
  chromiumCpuPercent?: number;
  clientsCpuPercent?: number;
  /** All cores busy, % of one core (200 = both cores). */
  machineCpuPercent: number;
}

const rssMb = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : 0;
};
/** A process and all its descendants. */
const tree = (pid: number): number[] => [pid, ...childPids(pid).flatMap(tree)];
const treeCpu = (pids: number[]): number =>
  pids.reduce((sum, p) => {
    try {
      return sum + cpuSec(p);
    } catch {
      return sum; // gone meanwhile
    }
  }, 0);
const comm = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};
const machineSec = (): number => machineCpuSec().processSec + machineCpuSec().interruptSec;

async function status(base: string): Promise<StreamStatus> {
  return (await (await fetch(`${base}status`)).json()) as StreamStatus;
}

export const DEFAULT_SCALE_OPTIONS: ScaleOptions = {
  viewers: 50,
  seconds: 10,
  height: 720,
  bitrateKbps: BALANCED_KBPS[720],
  pages: 3,
  cpuProfDir: null,
  http: true,
};

/** Pages on the landing page, each playing over WebRTC and noting its frames. */
async function openPages(browser: Browser, landing: string, count: number): Promise<Page[]> {
  const pages: Page[] = [];
  for (let i = 0; i < count; i++) {
    // A context each: in one context, headless Chromium renders only the newest page's frames.
    const page = await (await browser.newContext()).newPage();
    await page.goto(landing);
    await waitFor(
      'a page playing over WebRTC',
      async () => (await transportLine(page)) === 'Playing over WebRTC.',
      {
        timeoutMs: 20_000,
      },
    ).catch(async (e) => {
      throw new Error(`${String(e)}: ${await transportLine(page)}`);
    });
    await countFrames(page);
    pages.push(page);
  }
  return pages;
}

export async function benchWebRtcScale(partial: Partial<ScaleOptions> = {}): Promise<ScaleRow[]> {
  const options = { ...DEFAULT_SCALE_OPTIONS, ...partial };
  const { viewers, seconds, height, bitrateKbps } = options;
  const fps = 30;
  const width = Math.round((height * 16) / 9);
  const loopSec = 10;
  const input = await makeMedia('h264-opus', { seconds: loopSec, width, height, fps, bitrateKbps });
  /** The file's rate, audio and container included: what a viewer in real time is sent, about. */
  const streamKbps = Math.round((statSync(input).size * 8) / 1000 / loopSec);
  const port = await freePort();
  const server = spawnTracked(
    process.execPath,
    [
      ...(options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : []),
      MKVCAST_BIN,
      'serve',
      input,
      '--loop',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--max-viewers',
      String(viewers + 10),
      '--max-viewers-per-address',
      String(viewers + 10),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // Read all along (a full pipe would stop the server), the tail kept for an error.
  let serverLog = '';
  server.stderr!.on('data', (chunk: Buffer) => (serverLog = (serverLog + chunk.toString()).slice(-4000)));
  const base = `http://127.0.0.1:${port}/`;
  const rows: ScaleRow[] = [];
  const pageCount = Math.min(options.pages, viewers);
  let browser: Browser | null = null;
  try {
    await waitFor('serve', async () => (await fetch(`${base}status`).catch(() => null))?.ok, {
      timeoutMs: 20_000,
      intervalMs: 200,
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}; the server said: ${serverLog.trim()}`);
    });
    const pid = server.pid!;
    /** CPU (server, others) and peak RSS over the window; from /status, the largest lag and the skips in it. */
    const window = async (
      others: Record<string, () => number[]> = {},
    ): Promise<{
      cpuPercent: number;
      rssMb: number;
      maxLagMs: number;
      skips: number;
      skipped: Set<string>;
      machineCpuPercent: number;
      othersCpuPercent: Record<string, number>;
      fromMs: number;
      toMs: number;
      /** Each viewer's id: what the server sent it over the window, in kbit/s. */
      sentKbps: Map<string, number>;
    }> => {
      const first = (await status(base)).viewers;
      const baseline = new Map(first.map((v) => [v.id, v.skips]));
      const bytes0 = new Map(first.map((v) => [v.id, v.bytesSent]));
      const bytes = new Map<string, number>();
      const latest = new Map<string, number>();
      const otherPids = Object.fromEntries(Object.entries(others).map(([name, pids]) => [name, pids()]));
      const otherCpu0 = Object.fromEntries(
        Object.entries(otherPids).map(([name, pids]) => [name, treeCpu(pids)]),
      );
      const cpu0 = treeCpu(tree(pid));
      const machine0 = machineSec();
      const fromMs = Date.now();
      const t0 = performance.now();
      let maxLagMs = 0;
      let peakRss = 0;
      while (performance.now() - t0 < seconds * 1000) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        peakRss = Math.max(peakRss, rssMb(pid));
        for (const v of (await status(base)).viewers) {
          maxLagMs = Math.max(maxLagMs, v.lagMs);
          latest.set(v.id, v.skips);
          bytes.set(v.id, v.bytesSent);
        }
      }
      const elapsedSec = (performance.now() - t0) / 1000;
      const percent = (sec: number): number => Math.round((sec / elapsedSec) * 100);
      const cpuPercent = percent(treeCpu(tree(pid)) - cpu0);
      const othersCpuPercent = Object.fromEntries(
        Object.entries(otherPids).map(([name, pids]) => [name, percent(treeCpu(pids) - otherCpu0[name])]),
      );
      const skipped = new Set([...latest].filter(([id, n]) => n > (baseline.get(id) ?? 0)).map(([id]) => id));
      const skips = [...latest].reduce((sum, [id, n]) => sum + n - (baseline.get(id) ?? 0), 0);
      return {
        cpuPercent,
        rssMb: peakRss,
        maxLagMs,
        skips,
        skipped,
        machineCpuPercent: percent(machineSec() - machine0),
        othersCpuPercent,
        fromMs,
        toMs: Date.now(),
        sentKbps: new Map(
          [...bytes].map(([id, n]) => [
            id,
            Math.round(((n - (bytes0.get(id) ?? n)) * 8) / 1000 / elapsedSec),
          ]),
        ),
      };
    };

    // Chromium pages first (each joins on its own), then the werift clients in processes of their own,
    // at most PER_PROCESS each (one werift process decrypts only so many streams in real time); the
    // window starts when they all measure (they measure a second longer, so that all of them run
    // throughout it).
    const before = new Set(tree(process.pid));
    let pages: Page[] = [];
    if (pageCount > 0) {
      // Several pages play at once: none may be throttled as a background tab.
      browser = await launchChromium([
        '--autoplay-policy=no-user-gesture-required',
        '--disable-renderer-backgrounding',
        '--disable-background-timer-throttling',
        '--disable-backgrounding-occluded-windows',
      ]);
      pages = await openPages(browser, base, pageCount);
    }
    const chromiumPids = (): number[] =>
      tree(process.pid).filter((p) => !before.has(p) && /chrom/i.test(comm(p)));
    const clientCount = viewers - pageCount;
    const clients = Array.from({ length: Math.ceil(clientCount / PER_PROCESS) }, (_, i) => {
      const count = Math.min(PER_PROCESS, clientCount - i * PER_PROCESS);
      // The clients read RTP headers only (see whep-clients.ts): the load costs little beside the server.
      const child = spawnTracked(
        process.execPath,
        [CLIENTS, `${base}whep`, String(count), String(seconds + 1)],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      const out = { text: '', pid: child.pid!, go: () => child.stdin!.end('go\n') };
      child.stdout!.on('data', (chunk: Buffer) => (out.text += chunk.toString()));
      return out;
    });
    await waitFor('the WHEP clients to connect', () => clients.every((o) => o.text.includes('connected')), {
      timeoutMs: 120_000,
      intervalMs: 100,
    });
    for (const client of clients) client.go();
    const { skipped, othersCpuPercent, fromMs, toMs, sentKbps, ...measured } = await window({
      chromium: chromiumPids,
      clients: () => clients.map((c) => c.pid),
    });
    const played = await Promise.all(pages.map((page) => playback(page, fromMs, toMs)));
    await waitFor('the WHEP clients to finish', () => clients.every((o) => o.text.trim().endsWith('}')), {
      timeoutMs: 30_000,
    });
    const results = clients.map((o) => JSON.parse(o.text.trim().split('\n').at(-1)!) as ClientsResult);
    const rates = results.flatMap((r) => r.fps).sort((a, b) => a - b);
    const failures = results.flatMap((r) => r.failures);
    const sent = [...sentKbps.values()].sort((x, y) => x - y);
    rows.push({
      transport: 'webrtc',
      height,
      bitrateKbps,
      viewers: sent.length,
      // The server's side: every viewer sent ≥ 90% of the stream's rate over the window, never skipped.
      realTime: [...sentKbps].filter(([id, kbps]) => kbps >= streamKbps * 0.9 && !skipped.has(id)).length,
      ...measured,
      streamKbps,
      sentKbps: [sent[0] ?? 0, sent[Math.floor(sent.length / 2)] ?? 0],
      fps: [rates[0] ?? 0, rates[Math.floor(rates.length / 2)] ?? 0],
      clientsRealTime: rates.filter((f) => f >= fps * 0.95).length,
      failures: [...new Set(failures)].map((f) => `${failures.filter((g) => g === f).length}× ${f}`),
      pages: played,
      chromiumCpuPercent: othersCpuPercent.chromium,
      clientsCpuPercent: othersCpuPercent.clients,
    });
    if (browser) await browser.close();
    browser = null;
    await waitFor('the WebRTC viewers gone', async () => (await status(base)).viewers.length === 0, {
      timeoutMs: 20_000,
    });

    if (options.http) {
      // HTTP: the Matroska stream read as fast as it comes, in this process.
      const requests = Array.from({ length: viewers }, () => {
        const viewer = {
          bytes: 0,
          request: get(`${base}live.mkv`, (res) => res.on('data', (c: Buffer) => (viewer.bytes += c.length))),
        };
        viewer.request.on('error', () => undefined);
        return viewer;
      });
      await waitFor('the HTTP viewers', async () => (await status(base)).viewers.length === viewers, {
        timeoutMs: 20_000,
      });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const bytes0 = requests.map((r) => r.bytes);
      const {
        skipped: httpSkipped,
        othersCpuPercent: _,
        fromMs: __,
        toMs: ___,
        sentKbps: httpSent,
        ...httpMeasured
      } = await window();
      const sentHttp = [...httpSent.values()].sort((x, y) => x - y);
      rows.push({
        transport: 'http',
        height,
        bitrateKbps,
        viewers: (await status(base)).viewers.length,
        realTime: [...httpSent].filter(([id, kbps]) => kbps >= streamKbps * 0.9 && !httpSkipped.has(id))
          .length,
        ...httpMeasured,
        streamKbps,
        sentKbps: [sentHttp[0] ?? 0, sentHttp[Math.floor(sentHttp.length / 2)] ?? 0],
        received: requests.filter((r, i) => r.bytes > bytes0[i]).length,
      });
      for (const r of requests) r.request.destroy();
    }
    if (options.cpuProfDir) {
      // The profile is written when the server exits on its own (SIGINT: its clean stop).
      server.kill('SIGINT');
      await new Promise((resolve) => server.once('close', resolve));
    }
    return rows;
  } finally {
    await browser?.close();
    await killAll();
  }
}

/** The report's rows (docs/benchmarks.md). */
export function webrtcScaleSection(rows: ScaleRow[] | null): string {
  if (!rows || rows.length === 0) return '';
  const pagesCell = (r: ScaleRow): string =>
    r.pages && r.pages.length ? r.pages.map((p) => `${p.fps} (${p.freezes})`).join(', ') : '–';
  const line = (r: ScaleRow) =>
    [
      `${r.height}p ${r.transport}`,
      `${r.streamKbps}`,
      `${r.viewers}`,
      `${r.realTime}`,
      r.sentKbps.join(' / '),
      r.fps ? `${r.fps.join(' / ')} (${r.clientsRealTime})` : '–',
      pagesCell(r),
      `${r.skips}`,
      `${r.cpuPercent} %`,
      `${r.rssMb} MB`,
      `${r.chromiumCpuPercent ?? '–'} / ${r.clientsCpuPercent ?? '–'} / ${r.machineCpuPercent} %`,
    ].join(' | ');
  return `
### Scale: WebRTC viewers beside HTTP viewers

\`bench/webrtc-scale.ts\`: \`mkvcast serve\` of a 30 fps H.264 + Opus file at a share's \`balanced\` rate, looped. Of the
WebRTC viewers, ${rows.find((r) => r.pages)?.pages?.length ?? 0} are Chromium pages on the landing page (fps by
requestVideoFrameCallback, freezes of 200 ms or more in brackets), the others werift clients in separate processes that
count frames from the clear RTP headers; then as many HTTP viewers. "In real time": the server sent the viewer ≥ 90% of the
stream's rate over the window and never skipped it. CPU in % of one core (the machine has 2): the server (node and its
ffmpeg), then Chromium / the werift clients / the whole machine.

| run | stream kbit/s | viewers | in real time | sent kbit/s min / median | clients fps min / median (≥ 28.5) | Chromium pages fps (freezes) | skips | server CPU | server RSS | Chromium / clients / machine CPU |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.map((r) => `| ${line(r)} |`).join('\n')}
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const [viewers, seconds] = args
    .filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'))
    .map(Number);
  const height = Number(flag('--height') ?? 720);
  console.log(
    JSON.stringify(
      await benchWebRtcScale({
        viewers: viewers || 50,
        seconds: seconds || 10,
        height,
        bitrateKbps: Number(flag('--kbps') ?? BALANCED_KBPS[height] ?? 2100),
        pages: Number(flag('--pages') ?? 3),
        cpuProfDir: flag('--cpu-prof') ?? null,
        http: !args.includes('--no-http'),
      }),
      null,
      2,
    ),
  );
}
