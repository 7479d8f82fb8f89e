/**
 * The bench's source: ~20 s of 1920x1080 30 fps H.264 at ~8 Mbit/s as a live Matroska stream, one frame
 * per Cluster (what `mkvcast share` sends). `testsrc2` alone compresses to a fraction of that; the
 * temporal noise on top makes every frame cost its share of the bitrate, like a busy screen. Made once,
 * cached in os.tmpdir().
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MatroskaReader } from '../server/matroska/reader.js';
import type { Cluster, InitHeader } from '../server/matroska/types.js';
import { runFfmpeg, runFfprobe } from './media.js';

export const SOURCE_SECONDS = 20;
const FPS = 30;

/** The encode, as given to ffmpeg (the output last). */
export const SOURCE_ARGS: readonly string[] = [
  '-v',
  'error',
  '-f',
  'lavfi',
  '-i',
  `testsrc2=size=1920x1080:rate=${FPS}:duration=${SOURCE_SECONDS}`,
  '-vf',
  'noise=alls=12:allf=t+u',
  '-c:v',
  'libx264',
  '-preset',
  'ultrafast',
  '-tune',
  'zerolatency',
  '-b:v',
  '8M',
  '-maxrate',
  '8M',
  '-bufsize',
  '4M',
  '-g',
  String(FPS),
  '-keyint_min',
  String(FPS),
  '-sc_threshold',
  '0',
  '-pix_fmt',
  'yuv420p',
  '-f',
  'matroska',
  '-live',
  '1',
  // A Cluster closes once it spans *more* than the limit (ffmpeg 5.1): 34, or 33, would put two 33.3 ms
  // frames in most Clusters. Any limit under one frame gives one frame per Cluster.
  '-cluster_time_limit',
  '32',
];

export interface SourceStream {
  header: InitHeader;
  clusters: Cluster[];
  /** Cluster timestamps in ms (TimestampScale applied). */
  clusterMs: number[];
  /** Media time one pass covers: last cluster + one frame. */
  durationMs: number;
}

export interface SourceInfo {
  file: string;
  /** What ffprobe says: codec, size, frame rate, video packets' bitrate. */
  probe: { codec: string; width: number; height: number; fps: string; videoKbps: number; packets: number };
  /** Bytes per second of the whole stream as served (clusters), and cluster sizes. */
  streamKbps: number;
  clusters: number;
  keyframeClusterBytes: number;
  otherClusterBytes: number;
  durationMs: number;
}

function cachePath(): string {
  const hash = createHash('sha256').update(JSON.stringify(SOURCE_ARGS)).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), 'mkvcast-bench', `source-1080p30-8M-${SOURCE_SECONDS}s-${hash}.mkv`);
}

/** The cached source file, encoded first when missing. */
export async function makeSource(): Promise<string> {
  const file = cachePath();
  const existing = await stat(file).catch(() => null);
  if (existing && existing.size > 0) return file;
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await runFfmpeg([...SOURCE_ARGS, 'pipe:1'], { stdoutFile: temp, timeoutMs: 600_000 });
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
  return file;
}

/** The init header and every Cluster of the file, as MatroskaReader gives them. */
export async function readSource(file: string): Promise<SourceStream> {
  const reader = new MatroskaReader();
  const events = [...reader.push(await readFile(file)), ...reader.end()];
  let header: InitHeader | null = null;
  const clusters: Cluster[] = [];
  for (const event of events) {
    if (event.kind === 'header') header ??= event.header;
    else clusters.push(event.cluster);
  }
  if (!header || clusters.length < 2) throw new Error(`${file}: no header or too few clusters`);
  const scale = header.timestampScaleNs / 1e6;
  const clusterMs = clusters.map((c) => c.timestamp * scale);
  const frameMs = (clusterMs[clusterMs.length - 1] - clusterMs[0]) / (clusterMs.length - 1);
  return {
    header,
    clusters,
    clusterMs,
    durationMs: clusterMs[clusterMs.length - 1] - clusterMs[0] + frameMs,
  };
}

export async function describeSource(file: string): Promise<SourceInfo> {
  const stream = await readSource(file);
  const { stdout } = await runFfprobe([
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=codec_name,width,height,avg_frame_rate:packet=size',
    '-of',
    'json',
    file,
  ]);
  const probed = JSON.parse(stdout.toString('utf8')) as {
    streams: { codec_name: string; width: number; height: number; avg_frame_rate: string }[];
    packets: { size: string }[];
  };
  const videoBytes = probed.packets.reduce((sum, p) => sum + Number(p.size), 0);
  const seconds = stream.durationMs / 1000;
  const sizes = stream.clusters.map((c) => c.bytes.length);
  const key = stream.clusters.filter((c) => c.keyframe).map((c) => c.bytes.length);
  const other = stream.clusters.filter((c) => !c.keyframe).map((c) => c.bytes.length);
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  return {
    file,
    probe: {
      codec: probed.streams[0].codec_name,
      width: probed.streams[0].width,
      height: probed.streams[0].height,
      fps: probed.streams[0].avg_frame_rate,
      videoKbps: Math.round((videoBytes * 8) / seconds / 1000),
      packets: probed.packets.length,
    },
    streamKbps: Math.round((sizes.reduce((a, b) => a + b, 0) * 8) / seconds / 1000),
    clusters: stream.clusters.length,
    keyframeClusterBytes: Math.round(mean(key)),
    otherClusterBytes: Math.round(mean(other)),
    durationMs: stream.durationMs,
  };
}
