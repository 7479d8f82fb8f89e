/**
 * A bounded fuzz campaign over the MatroskaReader: runs worker.ts in a worker thread and watches it.
 * One input that has not settled after `hangMs` is a hang: the worker is stopped and that input (read from
 * the memory the two share) becomes the reproducer. What `npm run fuzz` and the seeded run in `npm test`
 * call. Test support only.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { MAX_MUTATED_BYTES } from './mutations.js';
import { CHUNKINGS } from './oracle.js';

export interface FuzzSeed {
  name: string;
  bytes: Buffer;
}

export interface CampaignOptions {
  /** Real streams to mutate (the committed seeds). */
  seeds: FuzzSeed[];
  /** Inputs found before, mutated too (half the time); what they reach is not new. */
  corpus?: FuzzSeed[];
  /** fast-check seed: the same seed, seeds and input count give the same inputs. */
  seed: number;
  /** Stop after this many inputs… */
  inputs?: number;
  /** …or after this long, whichever comes first. */
  seconds?: number;
  /** An input that takes longer than this has hung (default 20 s: generous on a busy machine). */
  hangMs?: number;
  /** Shrink each input found before reporting it (default true). */
  minimize?: boolean;
  /** Called now and then with the inputs tried so far. */
  onProgress?: (tried: number) => void;
}

export interface Finding {
  /** A broken contract, a hang, or an outcome (error kind) no seed reached before. */
  kind: 'problem' | 'hang' | 'feature';
  description: string;
  input: Buffer;
  /** For a feature: its outcomeLabel (the corpus file name starts with it). */
  label?: string;
  /** For a problem: the fast-check plan, shrunk (JSON). */
  plan?: string;
}

export interface CampaignReport {
  tried: number;
  seconds: number;
  findings: Finding[];
  /** How the inputs ended: `ok` or an error code, with counts. */
  outcomes: Record<string, number>;
  slowest: { ms: number; bytes: number; input: Buffer; outcome: string };
  peakBufferedBytes: number;
  peakRssBytes: number;
  peakHeapBytes: number;
}

/** What the host gives the worker. */
export interface WorkerSetup {
  seeds: FuzzSeed[];
  corpus: FuzzSeed[];
  seed: number;
  inputs: number | null;
  seconds: number | null;
  minimize: boolean;
  /** WATCH_SLOTS int32 (heartbeat, input length, chunking mode and seed), then the input being judged. */
  shared: SharedArrayBuffer;
}

export type WorkerMessage =
  | { kind: 'memory'; rssBytes: number; heapBytes: number }
  | { kind: 'feature'; feature: string; label: string; input: Uint8Array }
  | { kind: 'problem'; problem: string; input: Uint8Array; plan: string }
  | {
      kind: 'done';
      tried: number;
      outcomes: Record<string, number>;
      peakBufferedBytes: number;
      slowest: { ms: number; bytes: number; input: Uint8Array; outcome: string };
    };

const WATCH_INTERVAL_MS = 250;
/** Int32 slots at the start of the shared memory: heartbeat, input length, chunking mode index and seed. */
export const WATCH_SLOTS = 4;

/** `bad-size-0123456789.mkv`: the outcome label (or `problem`, `hang`), then a hash of the bytes. */
export function corpusFileName(finding: Finding): string {
  const hash = createHash('sha1').update(finding.input).digest('hex').slice(0, 10);
  return `${finding.label ?? finding.kind}-${hash}.mkv`;
}

/** Every file in `dir` (none when it does not exist), sorted by name. */
export async function loadInputs(dir: string): Promise<FuzzSeed[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const files = names.filter((name) => /\.(mkv|webm)$/.test(name)).sort();
  return Promise.all(files.map(async (name) => ({ name, bytes: await readFile(path.join(dir, name)) })));
}

export function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const hangMs = options.hangMs ?? 20_000;
  const shared = new SharedArrayBuffer(WATCH_SLOTS * 4 + MAX_MUTATED_BYTES);
  const watch = new Int32Array(shared, 0, WATCH_SLOTS);
  const setup: WorkerSetup = {
    seeds: options.seeds,
    corpus: options.corpus ?? [],
    seed: options.seed,
    inputs: options.inputs ?? null,
    seconds: options.seconds ?? null,
    minimize: options.minimize ?? true,
    shared,
  };
  const started = performance.now();
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: setup });
  const findings: Finding[] = [];
  let peakRssBytes = 0;
  let peakHeapBytes = 0;

  return new Promise((resolve, reject) => {
    let beats = Atomics.load(watch, 0);
    let quietSince = performance.now();
    const finish = (
      report: Omit<CampaignReport, 'findings' | 'seconds' | 'peakRssBytes' | 'peakHeapBytes'>,
    ) => {
      clearInterval(watchdog);
      const { rss } = process.memoryUsage();
      resolve({
        ...report,
        findings,
        seconds: (performance.now() - started) / 1000,
        peakRssBytes: Math.max(peakRssBytes, rss),
        peakHeapBytes,
      });
    };
    const watchdog = setInterval(() => {
      const now = Atomics.load(watch, 0);
      if (now !== beats) {
        beats = now;
        quietSince = performance.now();
        options.onProgress?.(now);
        return;
      }
      if (performance.now() - quietSince < hangMs) return;
      const length = Atomics.load(watch, 1);
      const input = Buffer.from(new Uint8Array(shared, WATCH_SLOTS * 4, Math.min(length, MAX_MUTATED_BYTES)));
      const chunking = `${CHUNKINGS[Atomics.load(watch, 2)]} chunks, seed ${Atomics.load(watch, 3)}`;
      const description = `one input did not settle within ${hangMs} ms (${chunking})`;
      findings.push({ kind: 'hang', description, input });
      void worker.terminate();
      finish({
        tried: now,
        outcomes: {},
        peakBufferedBytes: 0,
        slowest: { ms: performance.now() - quietSince, bytes: input.length, input, outcome: 'hang' },
      });
    }, WATCH_INTERVAL_MS);

    worker.on('message', (message: WorkerMessage) => {
      switch (message.kind) {
        case 'memory':
          peakRssBytes = Math.max(peakRssBytes, message.rssBytes);
          peakHeapBytes = Math.max(peakHeapBytes, message.heapBytes);
          break;
        case 'feature':
          findings.push({
            kind: 'feature',
            description: message.feature,
            label: message.label,
            input: Buffer.from(message.input),
          });
          break;
        case 'problem':
          findings.push({
            kind: 'problem',
            description: message.problem,
            input: Buffer.from(message.input),
            plan: message.plan,
          });
          break;
        case 'done':
          void worker.terminate();
          finish({ ...message, slowest: { ...message.slowest, input: Buffer.from(message.slowest.input) } });
          break;
      }
    });
    worker.on('error', (error) => {
      clearInterval(watchdog);
      reject(new Error(`the fuzz worker failed: ${error.message}`, { cause: error }));
    });
  });
}
