/**
 * The relay, measured: a sharer in its own network namespace (joined to this one by a veth pair, whose
 * counters say what the sharer sent) pushes one stream to a real Icecast here, and N viewers watch
 * Icecast; then the same N watch the sharer directly. For each: the sharer's outgoing bytes against the
 * stream's bitrate, the viewers that got the stream in real time, the join time (`ffmpeg -frames:v 1`
 * on the link) and, for the relay, the latency the hop adds (the same frame reaching a viewer of
 * Icecast and a direct viewer).
 *
 *   node dist/bench/relay.js [--viewers 200] [--seconds 20]     prints JSON; relaySection() renders it
 *
 * Needs root (ip netns) and icecast2.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { get, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import type { StreamStatus } from '../server/api.js';
import { MatroskaReader } from '../server/matroska/reader.js';
import { startIcecast } from '../support/icecast.js';
import { ffmpegPath, makeMedia } from '../support/media.js';
import { killAll, runToExit, spawnTracked, waitFor } from '../support/processes.js';
import { MKVCAST_BIN } from '../support/serve.js';
import { median, percentile, round } from '../support/stats.js';
import { decode } from '../support/viewers.js';

const run = promisify(execFile);
const NS = 'mkvb-sharer';
const HOST_SIDE = 'mkvb-h';
const NS_SIDE = 'mkvb-s';
const SHARER_IP = '10.77.0.1';
const HOST_IP = '10.77.0.2';
const SHARER_PORT = 8090;
const ICECAST_PORT = 8091;
const RELAY_PORT = 8092;
const STREAM_KBPS = 4000;

export interface RelayFigures {
  viewers: number;
  windowSec: number;
  streamMbit: number;
  /** What the sharer sent over the window, in Mbit/s, and as a multiple of one stream. */
  sharerMbit: number;
  sharerStreams: number;
  /** Viewers that received at least 90% of the stream's bytes over the window. */
  inRealTime: number;
  /** `ffmpeg -frames:v 1` on the link: median and max of 5, in seconds. */
  joinSec: { median: number; max: number };
}

export interface RelayResult {
  relay: RelayFigures;
  direct: RelayFigures;
  /** mkvcast → mkvcast across the namespaces through --ingest: a viewer of the second decodes the first. */
  mkvcastRelay: { decodedFrames: number; cleanDecode: boolean; joinSec: { median: number; max: number } };
  /** The same frame at a viewer of Icecast minus at a direct viewer: p50 and p95, ms. */
  hopMs: { p50: number; p95: number; frames: number };
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

async function setUpNetwork(): Promise<void> {
  await tearDownNetwork();
  await ip('netns', 'add', NS);
  await ip('link', 'add', HOST_SIDE, 'type', 'veth', 'peer', 'name', NS_SIDE);
  await ip('link', 'set', NS_SIDE, 'netns', NS);
  await ip('addr', 'add', `${HOST_IP}/24`, 'dev', HOST_SIDE);
  await ip('link', 'set', HOST_SIDE, 'up');
  await ip('netns', 'exec', NS, 'ip', 'addr', 'add', `${SHARER_IP}/24`, 'dev', NS_SIDE);
  await ip('netns', 'exec', NS, 'ip', 'link', 'set', NS_SIDE, 'up');
  await ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
}

async function tearDownNetwork(): Promise<void> {
  await ip('netns', 'del', NS).catch(() => {});
  await ip('link', 'del', HOST_SIDE).catch(() => {});
}

/** Bytes the sharer has sent out of its namespace (received on this side of the veth). */
async function sharerSentBytes(): Promise<number> {
  return Number(await readFile(`/sys/class/net/${HOST_SIDE}/statistics/rx_bytes`, 'utf8'));
}

/** A plain HTTP viewer that counts bytes, and optionally reports each Matroska cluster's arrival. */
class CountingViewer {
  bytes = 0;
  private response: IncomingMessage | null = null;
  private readonly request;
  constructor(url: string, onCluster?: (tail: string, atMs: number) => void) {
    const reader = onCluster ? new MatroskaReader() : null;
    this.request = get(url, (res) => {
      this.response = res;
      res.on('data', (chunk: Buffer) => {
        this.bytes += chunk.length;
        if (!reader || !onCluster) return;
        const atMs = performance.now();
        for (const event of reader.push(chunk)) {
          if (event.kind === 'cluster') onCluster(event.cluster.bytes.subarray(-24).toString('hex'), atMs);
        }
      });
      res.on('error', () => {});
    });
    this.request.on('error', () => {});
  }
  close(): void {
    this.response?.destroy();
    this.request.destroy();
  }
}

async function joinTimes(url: string): Promise<{ median: number; max: number }> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await runToExit(ffmpegPath, ['-v', 'error', '-i', url, '-frames:v', '1', '-f', 'null', '-'], {
      timeoutMs: 20_000,
    });
    times.push(r.code === 0 ? r.wallMs / 1000 : Number.NaN);
  }
  return { median: round(median(times), 3), max: round(Math.max(...times), 3) };
}

async function measure(
  url: string,
  viewers: number,
  windowSec: number,
  streamKbps: number,
): Promise<RelayFigures> {
  const crowd = Array.from({ length: viewers }, () => new CountingViewer(url));
  try {
    await sleep(3000); // every viewer connected and past its start burst
    const before = crowd.map((v) => v.bytes);
    const sentBefore = await sharerSentBytes();
    await sleep(windowSec * 1000);
    const sent = (await sharerSentBytes()) - sentBefore;
    const got = crowd.map((v, i) => v.bytes - before[i]);
    const streamBytes = (streamKbps * 1000 * windowSec) / 8;
    const sharerMbit = (sent * 8) / windowSec / 1e6;
    return {
      viewers,
      windowSec,
      streamMbit: round(streamKbps / 1000, 2),
      sharerMbit: round(sharerMbit, 2),
      sharerStreams: round(sharerMbit / (streamKbps / 1000), 2),
      inRealTime: got.filter((b) => b >= 0.9 * streamBytes).length,
      joinSec: await joinTimes(url),
    };
  } finally {
    for (const v of crowd) v.close();
  }
}

/** The same frames through the hop and directly: each Icecast cluster's last bytes found at the direct viewer. */
async function hopLatency(
  relayUrl: string,
  directUrl: string,
  seconds: number,
): Promise<RelayResult['hopMs']> {
  const directClusters: { bytes: string; atMs: number }[] = [];
  const relayed: { tail: string; atMs: number }[] = [];
  const directViewer = new CountingViewer(directUrl);
  // Clusters differ (the push remuxes); frames do not: keep the direct stream's bytes to search in.
  const reader = new MatroskaReader();
  const req = get(directUrl, (res) =>
    res.on('data', (chunk: Buffer) => {
      const atMs = performance.now();
      for (const event of reader.push(chunk))
        if (event.kind === 'cluster')
          directClusters.push({ bytes: event.cluster.bytes.toString('hex'), atMs });
    }),
  );
  req.on('error', () => {});
  const relayViewer = new CountingViewer(relayUrl, (tail, atMs) => relayed.push({ tail, atMs }));
  await sleep(seconds * 1000);
  relayViewer.close();
  directViewer.close();
  req.destroy();
  const deltas: number[] = [];
  for (const { tail, atMs } of relayed.slice(5)) {
    const found = directClusters.find((c) => c.bytes.endsWith(tail) || c.bytes.includes(tail));
    if (found) deltas.push(atMs - found.atMs);
  }
  return {
    p50: round(percentile(deltas, 0.5), 1),
    p95: round(percentile(deltas, 0.95), 1),
    frames: deltas.length,
  };
}

/** `mkvcast serve FILE --loop` in the sharer's namespace, pushing to `push`. */
function startSharer(
  file: string,
  viewers: number,
  push: string,
): { child: ChildProcess; stderr: () => string } {
  const child = spawnTracked(
    'ip',
    [
      'netns',
      'exec',
      NS,
      process.execPath,
      MKVCAST_BIN,
      'serve',
      file,
      '--loop',
      '-q',
      '--host',
      SHARER_IP,
      '--port',
      String(SHARER_PORT),
      '--max-viewers',
      String(viewers + 20),
      '--max-viewers-per-address',
      String(viewers + 20),
      '--push',
      push,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return { child, stderr: () => stderr };
}

/** A second mkvcast here takes the sharer's push on its ingest; a viewer of it decodes. */
async function mkvcastToMkvcast(file: string): Promise<RelayResult['mkvcastRelay']> {
  const key = 'benchrelay-0123456789';
  const second = spawnTracked(
    process.execPath,
    [
      MKVCAST_BIN,
      'serve',
      '--ingest',
      '--ingest-key',
      key,
      '-q',
      '--host',
      HOST_IP,
      '--port',
      String(RELAY_PORT),
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const sharer = startSharer(file, 1, `http://${HOST_IP}:${RELAY_PORT}/${key}/ingest`);
  try {
    const url = `http://${HOST_IP}:${RELAY_PORT}/live.mkv`;
    await waitFor(
      'the second mkvcast live',
      async () =>
        ((await (await fetch(`http://${HOST_IP}:${RELAY_PORT}/status`)).json()) as StreamStatus).state ===
        'live',
      { timeoutMs: 20_000, intervalMs: 200 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${sharer.stderr()}`);
    });
    const decoded = await decode(url, { videoFrames: 60 });
    return {
      decodedFrames: decoded.frames[0]?.ptsSec.length ?? 0,
      cleanDecode: decoded.code === 0 && decoded.stderr.trim() === '',
      joinSec: await joinTimes(url),
    };
  } finally {
    sharer.child.kill('SIGINT');
    second.kill('SIGINT');
  }
}

export async function benchRelay(options: { viewers?: number; seconds?: number } = {}): Promise<RelayResult> {
  const viewers = options.viewers ?? 200;
  const windowSec = options.seconds ?? 20;
  const file = await makeMedia('h264-aac', {
    seconds: 30,
    width: 1280,
    height: 720,
    bitrateKbps: STREAM_KBPS,
  });
  await setUpNetwork();
  const icecast = await startIcecast(ICECAST_PORT, { maxClients: viewers + 20, bindAddress: '0.0.0.0' });
  try {
    const sharer = startSharer(file, viewers, icecast.pushUrl('bench.mkv', HOST_IP));
    const stderr = sharer.stderr;
    const directUrl = `http://${SHARER_IP}:${SHARER_PORT}/live.mkv`;
    const status = async (): Promise<StreamStatus> =>
      (await (await fetch(`http://${SHARER_IP}:${SHARER_PORT}/status`)).json()) as StreamStatus;
    await waitFor('the push live', async () => (await status()).outputs?.pushes[0]?.state === 'live', {
      timeoutMs: 20_000,
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${stderr()}`);
    });
    // A file's first seconds go out faster (the lead); the stream's rate is taken once it is at its own.
    await waitFor(
      'the stream at its own rate',
      async () => {
        const kbps = (await status()).bitrateKbps;
        return kbps > 0.5 * STREAM_KBPS && kbps < 1.5 * STREAM_KBPS;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const streamKbps = (await status()).bitrateKbps;
    const relayUrl = icecast.listenUrl('bench.mkv');
    const relay = await measure(relayUrl, viewers, windowSec, streamKbps);
    const hopMs = await hopLatency(relayUrl, directUrl, 10);
    const direct = await measure(directUrl, viewers, windowSec, streamKbps);
    sharer.child.kill('SIGINT');
    await new Promise((resolve) => sharer.child.once('close', resolve));
    const mkvcastRelay = await mkvcastToMkvcast(file);
    return { relay, direct, hopMs, mkvcastRelay };
  } finally {
    await killAll();
    await icecast.stop();
    await tearDownNetwork();
  }
}

export function relaySection(r: RelayResult | null): string {
  if (!r) return '';
  const row = (name: string, f: RelayFigures): string =>
    `| ${name} | ${f.viewers} | ${f.sharerMbit} Mbit/s (${f.sharerStreams}× the stream) | ${f.inRealTime}/${f.viewers} | ${f.joinSec.median} s (max ${f.joinSec.max} s) |`;
  return [
    '## Relay through Icecast (bench/relay.ts)',
    '',
    `One ${r.relay.streamMbit} Mbit/s stream; the sharer in its own network namespace, its outgoing bytes read from the veth counters over ${r.relay.windowSec} s.`,
    '',
    '| viewers watch | viewers | the sharer sends | in real time | join (`ffmpeg -frames:v 1`), median |',
    '| --- | --- | --- | --- | --- |',
    row('Icecast (the sharer pushes once)', r.relay),
    row('the sharer directly', r.direct),
    '',
    `The hop adds ${r.hopMs.p50} ms (p50), ${r.hopMs.p95} ms (p95) to a frame (${r.hopMs.frames} frames matched at a viewer of each).`,
    '',
    `mkvcast → mkvcast across the namespaces (--push to the other's --ingest): a viewer of the second decoded ${r.mkvcastRelay.decodedFrames} frames ${r.mkvcastRelay.cleanDecode ? 'cleanly' : 'WITH ERRORS'}; join ${r.mkvcastRelay.joinSec.median} s (max ${r.mkvcastRelay.joinSec.max} s).`,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { viewers: { type: 'string' }, seconds: { type: 'string' } } });
  const result = await benchRelay({
    viewers: values.viewers ? Number(values.viewers) : undefined,
    seconds: values.seconds ? Number(values.seconds) : undefined,
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n${relaySection(result)}`);
}
