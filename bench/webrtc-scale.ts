/**
 * Scale: N WebRTC viewers (werift clients in a separate process) against N HTTP viewers of the same
 * `mkvcast serve` (1280×720 at 30 fps, H.264 + Opus, looped), one set after the other, with the
 * server's CPU (its node process and its ffmpeg) and RSS over the same window, and whether every
 * viewer stayed in real time (WebRTC: video frames a second received; both: skips in /status).
 *
 *   node dist/bench/webrtc-scale.js [N] [SECONDS]     prints JSON
 */
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { StreamStatus } from '../server/api.js';
import { makeMedia } from '../support/media.js';
import { freePort } from '../support/ports.js';
import { childPids, killAll, spawnTracked, waitFor } from '../support/processes.js';
import { cpuSec } from './proc.js';
import type { ClientsResult } from './whep-clients.js';

const MKVCAST_BIN = fileURLToPath(new URL('../../bin/mkvcast.js', import.meta.url));
const PER_PROCESS = 10;
const CLIENTS = fileURLToPath(new URL('./whep-clients.js', import.meta.url));

export interface ScaleRow {
  transport: 'webrtc' | 'http';
  viewers: number;
  /** Viewers that received in real time (WebRTC: ≥ 95% of the frame rate; HTTP: data all along) and never skipped. */
  realTime: number;
  /** Server CPU (node + its ffmpeg), % of one core, over the window. */
  cpuPercent: number;
  rssMb: number;
  skips: number;
  maxLagMs: number;
  /** WebRTC: frames a second received, min / median. */
  fps?: [number, number];
}

const rssMb = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : 0;
};
const serverCpu = (pid: number): number => [pid, ...childPids(pid)].reduce((sum, p) => sum + cpuSec(p), 0);

async function status(base: string): Promise<StreamStatus> {
  return (await (await fetch(`${base}status`)).json()) as StreamStatus;
}

export async function benchWebRtcScale(viewers = 50, seconds = 10): Promise<ScaleRow[]> {
  const fps = 30;
  // 2 Mbit/s: a 720p screen share's rate (the default testsrc encode is ~8 Mbit/s, 400 Mbit/s for 50).
  const input = await makeMedia('h264-opus', {
    seconds: 10,
    width: 1280,
    height: 720,
    fps,
    bitrateKbps: 2000,
  });
  const port = await freePort();
  const server = spawnTracked(
    process.execPath,
    [
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
  const base = `http://127.0.0.1:${port}/`;
  const rows: ScaleRow[] = [];
  try {
    await waitFor('serve', async () => (await fetch(`${base}status`).catch(() => null))?.ok, {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    const pid = server.pid!;
    /** Server CPU and peak RSS over the window; from /status, the largest lag and the skips in it. */
    const window = async (): Promise<{
      cpuPercent: number;
      rssMb: number;
      maxLagMs: number;
      skips: number;
      skipped: Set<string>;
    }> => {
      const baseline = new Map((await status(base)).viewers.map((v) => [v.id, v.skips]));
      const latest = new Map<string, number>();
      const cpu0 = serverCpu(pid);
      const t0 = performance.now();
      let maxLagMs = 0;
      let peakRss = 0;
      while (performance.now() - t0 < seconds * 1000) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        peakRss = Math.max(peakRss, rssMb(pid));
        for (const v of (await status(base)).viewers) {
          maxLagMs = Math.max(maxLagMs, v.lagMs);
          latest.set(v.id, v.skips);
        }
      }
      const cpuPercent = Math.round(((serverCpu(pid) - cpu0) / ((performance.now() - t0) / 1000)) * 100);
      const skipped = new Set([...latest].filter(([id, n]) => n > (baseline.get(id) ?? 0)).map(([id]) => id));
      const skips = [...latest].reduce((sum, [id, n]) => sum + n - (baseline.get(id) ?? 0), 0);
      return { cpuPercent, rssMb: peakRss, maxLagMs, skips, skipped };
    };

    // WebRTC: the clients in processes of their own, at most PER_PROCESS each (one werift process
    // decrypts only so many streams in real time); the window starts when they all measure.
    const outs = Array.from({ length: Math.ceil(viewers / PER_PROCESS) }, (_, i) => {
      const count = Math.min(PER_PROCESS, viewers - i * PER_PROCESS);
      const child = spawnTracked(process.execPath, [CLIENTS, `${base}whep`, String(count), String(seconds)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const out = { text: '' };
      child.stdout!.on('data', (chunk: Buffer) => (out.text += chunk.toString()));
      return out;
    });
    await waitFor('the WHEP clients to connect', () => outs.every((o) => o.text.includes('measuring')), {
      timeoutMs: 120_000,
      intervalMs: 100,
    });
    const { skipped, ...measured } = await window();
    await waitFor('the WHEP clients to finish', () => outs.every((o) => o.text.trim().endsWith('}')), {
      timeoutMs: 30_000,
    });
    const results = outs.map((o) => JSON.parse(o.text.trim().split('\n').at(-1)!) as ClientsResult);
    const rates = results.flatMap((r) => r.fps).sort((a, b) => a - b);
    rows.push({
      transport: 'webrtc',
      viewers: results.reduce((sum, r) => sum + r.connected, 0),
      realTime: Math.max(0, rates.filter((f) => f >= fps * 0.95).length - skipped.size),
      ...measured,
      fps: [rates[0] ?? 0, rates[Math.floor(rates.length / 2)] ?? 0],
    });
    await waitFor('the WebRTC viewers gone', async () => (await status(base)).viewers.length === 0, {
      timeoutMs: 20_000,
    });

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
    const { skipped: httpSkipped, ...httpMeasured } = await window();
    rows.push({
      transport: 'http',
      viewers: (await status(base)).viewers.length,
      realTime: requests.filter((r, i) => r.bytes > bytes0[i]).length - httpSkipped.size,
      ...httpMeasured,
    });
    for (const r of requests) r.request.destroy();
    return rows;
  } finally {
    await killAll();
  }
}

/** The report's rows (docs/benchmarks.md). */
export function webrtcScaleSection(rows: ScaleRow[] | null): string {
  if (!rows) return '';
  const line = (r: ScaleRow) =>
    `| ${r.transport} | ${r.viewers} | ${r.realTime} | ${r.fps ? r.fps.join(' / ') : '–'} | ${r.skips} | ${r.maxLagMs} | ${r.cpuPercent} % | ${r.rssMb} MB |`;
  return `
### Scale: WebRTC viewers beside HTTP viewers

\`bench/webrtc-scale.ts\`: \`mkvcast serve\` of a 1280×720 30 fps H.264 + Opus file, looped; werift clients in a separate process, then HTTP viewers.

| transport | viewers | in real time | fps min / median | skips | max lag ms | server CPU | server RSS |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.map(line).join('\n')}
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [viewers, seconds] = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(await benchWebRtcScale(viewers || 50, seconds || 10), null, 2));
}
