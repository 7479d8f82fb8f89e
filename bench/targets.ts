/**
 * The two things under test, started the same way: a feeder process writes the live stream into the
 * stdin of either mkvcast (`mkvcast serve -`, as its own process) or the raw pump, which listens on
 * loopback for viewers.
 */
import { get } from 'node:http';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { forkChild, nextMessage, spawnChild, type Child } from './children.js';
import type { FeederEntry, FromFeeder, FromPump, ToFeeder, ToPump } from '../support/protocol.js';
import { BenchViewer } from '../support/viewer-socket.js';

export type TargetKind = 'mkvcast' | 'pump';

export interface Target {
  kind: TargetKind;
  /** The process doing the fan-out (measured). */
  server: Child;
  feeder: Child;
  host: string;
  port: number;
  path: string;
  url: string;
  /** How the body of the answer to the bench viewers' HTTP/1.1 request is framed. */
  framing: Framing;
  /** The fan-out time the process measures itself (mkvcast: /status `fanout`). */
  fanout(): Promise<{ p50Ms: number; p99Ms: number }>;
  /** What the feeder has written so far, Cluster by Cluster. */
  feederLog(): Promise<FeederEntry[]>;
  stop(): Promise<void>;
}

export interface TargetOptions {
  sourceFile: string;
  host: string;
  /** Every process started here exits by itself after this long. */
  maxSec: number;
  /** Run the server (mkvcast or the pump) under `node --cpu-prof`, writing the profile here when it exits. */
  cpuProfileDir?: string;
  /** How the pump frames its body: as mkvcast answers an HTTP/1.1 request (see `framingOf`). */
  pumpFraming: Framing;
}

export type Framing = 'chunked' | 'close';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const MKVCAST_BIN = here('../../bin/mkvcast.js');

function getJson<T>(url: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = get(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
        } catch (error) {
          reject(error as Error);
        }
      });
      res.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`${url}: no answer in ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

/** Resolves with the first match of `pattern` in what `stream` prints, within `timeoutMs`. */
function waitForOutput(stream: Readable, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text = (text + chunk.toString('utf8')).slice(-8192);
      const match = pattern.exec(text);
      if (match) {
        done();
        resolve(match);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`nothing matching ${pattern} within ${timeoutMs} ms; got: ${text}`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.resume(); // keep draining, unread
    };
    stream.on('data', onData);
  });
}

export async function startTarget(kind: TargetKind, options: TargetOptions): Promise<Target> {
  const { host, maxSec } = options;
  const feeder = forkChild(here('../support/feeder.js'), [options.sourceFile, String(maxSec)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const feederStdout = feeder.process.stdout as Readable;
  let server: Child;
  let port: number;
  let path = '/live.mkv';
  let feeding = false;
  const startFeeding = (): void => {
    if (feeding) return;
    feeding = true;
    // The server holds its own copy of the pipe's read end; ours would only keep it open.
    feederStdout.destroy();
    feeder.process.send({ type: 'go' } satisfies ToFeeder);
  };
  const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  try {
    if (kind === 'mkvcast') {
      server = spawnChild(
        process.execPath,
        [
          ...nodeArgs,
          MKVCAST_BIN,
          'serve',
          '-',
          '--host',
          host,
          '--port',
          '0',
          '--max-viewers',
          '5000',
          '--max-viewers-per-address',
          '5000',
        ],
        { stdio: [feederStdout, 'pipe', 'pipe'] },
      );
      // mkvcast prints its link once its input has sent frames: the feed starts first.
      startFeeding();
      const link = await waitForOutput(
        server.process.stdout as Readable,
        /http:\/\/[^\s/]+:(\d+)(\/\S*live\.mkv)/,
        15_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${server.stderrTail()}`);
      });
      port = Number(link[1]);
      path = link[2];
    } else {
      server = forkChild(here('./pump.js'), [host, String(maxSec), options.pumpFraming], {
        stdio: [feederStdout, 'inherit', 'inherit', 'ipc'],
        execArgv: nodeArgs,
      });
      port = (await nextMessage<Extract<FromPump, { type: 'listening' }>>(server, 'listening', 15_000)).port;
    }
  } catch (error) {
    await feeder.stop();
    throw error;
  }
  startFeeding();

  const target: Target = {
    kind,
    server,
    feeder,
    host,
    port,
    path,
    url: `http://${host}:${port}${path}`,
    framing: 'close',
    async fanout() {
      if (kind === 'mkvcast') {
        const status = await getJson<{ fanout: { p50Ms: number; p99Ms: number } }>(
          `http://${host}:${port}/status`,
          10_000,
        );
        return status.fanout;
      }
      const reply = nextMessage<Extract<FromPump, { type: 'status' }>>(server, 'status', 10_000);
      server.process.send({ type: 'status' } satisfies ToPump);
      return (await reply).fanout;
    },
    async feederLog() {
      const reply = nextMessage<FromFeeder>(feeder, 'log', 10_000);
      feeder.process.send({ type: 'log' } satisfies ToFeeder);
      return (await reply).entries;
    },
    async stop() {
      await server.stop(10_000);
      await feeder.stop();
    },
  };

  // Live once a viewer gets a keyframe Cluster.
  const probe = new BenchViewer(target);
  await probe.firstCluster(15_000);
  probe.close();
  if (probe.firstClusterNs === null) {
    await target.stop();
    throw new Error(
      `${kind} did not start streaming: ${probe.error ?? 'no Cluster in 15 s'}\n${server.stderrTail()}`,
    );
  }
  target.framing = probe.chunked ? 'chunked' : 'close';
  return target;
}

/** How mkvcast frames the body of its answer to an HTTP/1.1 request (the pump is made to do the same). */
export async function framingOf(options: Omit<TargetOptions, 'pumpFraming'>): Promise<Framing> {
  const target = await startTarget('mkvcast', { ...options, pumpFraming: 'close' });
  await target.stop();
  return target.framing;
}
