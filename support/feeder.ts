/**
 * The live source for both the server and the pump: writes the bench stream to stdout (a pipe to their
 * stdin) in real time, Cluster by Cluster at its timestamp, looping with timestamps that continue, and
 * logs when each write returned. stdout to a pipe is synchronous in Node on Linux, so a write returns once
 * the whole Cluster is in the pipe: the moment it reached the server, as seen from outside.
 *
 * Usage (forked by bench/targets.ts and support/abuse.ts): feeder.js SOURCE_FILE MAX_SEC. Starts writing on the `go` message.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { withClusterTimestamp } from '../server/matroska/cluster.js';
import { clusterKey } from './cluster-scanner.js';
import type { FeederEntry, FromFeeder, ToFeeder } from './protocol.js';
import { readSource, type SourceStream } from './source.js';

const [file, maxSecArg] = process.argv.slice(2);
const maxSec = Number(maxSecArg ?? 600);
setTimeout(() => process.exit(3), maxSec * 1000);
process.on('disconnect', () => process.exit(0));
// The reader went away (the server stopped): nothing left to do.
process.stdout.on('error', () => process.exit(0));

const entries: FeederEntry[] = [];
let started = false;

async function feed(stream: SourceStream): Promise<void> {
  const first = stream.clusters[0].timestamp;
  const last = stream.clusters[stream.clusters.length - 1].timestamp;
  // One pass in TimestampScale units, so that the next pass starts one frame after this one ends.
  const passUnits = last - first + Math.round((last - first) / (stream.clusters.length - 1));
  const keys = stream.clusters.map((c) => clusterKey(c.bytes));
  const startNs = process.hrtime.bigint();
  const elapsedMs = (): number => Number(process.hrtime.bigint() - startNs) / 1e6;
  let total = stream.header.bytes.length;
  process.stdout.write(stream.header.bytes);
  for (let pass = 0; elapsedMs() < maxSec * 1000; pass++) {
    for (let i = 0; i < stream.clusters.length; i++) {
      const dueMs = pass * stream.durationMs + stream.clusterMs[i] - stream.clusterMs[0];
      const waitMs = dueMs - elapsedMs();
      if (waitMs > 0) await sleep(waitMs);
      const cluster = stream.clusters[i];
      const bytes =
        pass === 0 ? cluster.bytes : withClusterTimestamp(cluster, cluster.timestamp + pass * passUnits);
      process.stdout.write(bytes);
      const ns = process.hrtime.bigint();
      total += bytes.length;
      entries.push([
        keys[i],
        Number(ns),
        total,
        Math.round((elapsedMs() - dueMs) * 10) / 10,
        cluster.keyframe,
      ]);
    }
  }
}

// Listening from the start: `go` may come while the source is still being read.
const loaded = readSource(file);
process.on('message', (message: ToFeeder) => {
  if (message.type === 'go' && !started) {
    started = true;
    loaded.then(feed).catch((error: unknown) => {
      process.stderr.write(`feeder: ${String(error)}\n`);
      process.exit(1);
    });
  } else if (message.type === 'log') {
    process.send?.({ type: 'log', entries } satisfies FromFeeder);
  }
});
