/**
 * Real viewers of a stream link for end-to-end tests: ffmpeg decoding it, ffprobe listing its packets,
 * a raw HTTP client that asks and then stops reading.
 */
import { get, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { ffmpegPath, ffprobePath } from './media.js';
import { runToExit, type Finished } from './processes.js';

export interface DecodeOptions {
  /** Stop after this much of the stream (ffmpeg `-t`). */
  seconds?: number;
  /** Stop after this many video frames (ffmpeg `-frames:v`). */
  videoFrames?: number;
  /** Killed after this long (default 30 s). */
  timeoutMs?: number;
}

export interface Decoded extends Finished {
  /** What ffmpeg decoded, per output stream. */
  frames: FramecrcStream[];
}

export interface FramecrcStream {
  index: number;
  /** Seconds per pts unit. */
  timeBase: number;
  /** Presentation time of every decoded frame, in seconds. */
  ptsSec: number[];
}

/**
 * A viewer that decodes the stream as a player does: `ffmpeg -v error -i URL … -f framecrc -`, so that
 * every decoded frame is listed (with its time) and any decoding trouble shows on stderr.
 */
export async function decode(url: string, options: DecodeOptions = {}): Promise<Decoded> {
  const limits = [
    ...(options.seconds !== undefined ? ['-t', String(options.seconds)] : []),
    ...(options.videoFrames !== undefined ? ['-frames:v', String(options.videoFrames)] : []),
  ];
  const run = await runToExit(
    ffmpegPath,
    ['-hide_banner', '-nostdin', '-v', 'error', '-i', url, ...limits, '-f', 'framecrc', '-'],
    { timeoutMs: options.timeoutMs ?? 30_000 },
  );
  return { ...run, frames: parseFramecrc(run.stdout.toString('utf8')) };
}

/** Parses ffmpeg's framecrc output: `#tb N: num/den` headers, then `index, dts, pts, duration, size, crc`. */
export function parseFramecrc(text: string): FramecrcStream[] {
  const streams = new Map<number, FramecrcStream>();
  for (const line of text.split('\n')) {
    const tb = /^#tb (\d+): (\d+)\/(\d+)/.exec(line);
    if (tb) {
      const index = Number(tb[1]);
      streams.set(index, { index, timeBase: Number(tb[2]) / Number(tb[3]), ptsSec: [] });
      continue;
    }
    if (line.startsWith('#') || !line.trim()) continue;
    const [index, , pts] = line.split(',').map((field) => Number(field.trim()));
    const stream = streams.get(index);
    if (stream) stream.ptsSec.push(pts * stream.timeBase);
  }
  return [...streams.values()];
}

/** A one-line account of a decoder run, for assertion messages. */
export function explain(run: Finished): string {
  const how = run.timedOut ? 'timed out' : (run.signal ?? `exit ${run.code}`);
  return `${how} after ${Math.round(run.wallMs)} ms; stderr: ${run.stderr.trim() || '(empty)'}`;
}

export interface Packet {
  streamIndex: number;
  codecType: string;
  ptsSec: number;
  keyframe: boolean;
}

/** The first `count` packets a new viewer of `url` receives, as ffprobe reads them. */
export async function firstPackets(
  url: string,
  count: number,
): Promise<{ packets: Packet[]; run: Finished }> {
  const run = await runToExit(
    ffprobePath,
    [
      '-hide_banner',
      '-v',
      'error',
      '-read_intervals',
      `%+#${count}`,
      '-show_entries',
      'packet=stream_index,codec_type,pts_time,flags',
      '-of',
      'json',
      url,
    ],
    { timeoutMs: 20_000 },
  );
  if (run.code !== 0) return { packets: [], run };
  const parsed = JSON.parse(run.stdout.toString('utf8')) as {
    packets?: { stream_index: number; codec_type: string; pts_time: string; flags: string }[];
  };
  const packets = (parsed.packets ?? []).map((p) => ({
    streamIndex: p.stream_index,
    codecType: p.codec_type,
    ptsSec: Number(p.pts_time),
    keyframe: p.flags.includes('K'),
  }));
  return { packets, run };
}

/** GETs `url` and resolves with the response head, then hangs up (a live stream has no end to wait for). */
export function responseHead(url: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = get(url, (response) => {
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
      request.destroy();
    });
    request.on('error', reject);
    request.setTimeout(10_000, () => request.destroy(new Error(`no answer from ${url} within 10 s`)));
  });
}

/**
 * A viewer that asks for the stream and then never reads: its socket is paused right away, so once the
 * kernel buffers are full the server sees a client that has stopped.
 */
export function stalledViewer(url: string, userAgent: string): Promise<Socket> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.pause();
      socket.write(
        `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUser-Agent: ${userAgent}\r\n\r\n`,
      );
      resolve(socket);
    });
    socket.pause();
    // The server drops it in the end; that is the point, not an error.
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

/** The stream's picture size as ffprobe reads it from `url`: `WIDTH,HEIGHT`. */
export async function videoSize(url: string, timeoutMs = 15_000): Promise<string> {
  const probe = await runToExit(
    ffprobePath,
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', url],
    { timeoutMs },
  );
  return probe.stdout.toString().trim();
}
