/**
 * A viewer process for the bench: on `connect` it opens N viewers at once (all connect() calls in the same
 * tick, so the server's listen backlog takes the burst), reports when each got its first Cluster byte, then
 * counts what each receives between `window-start` and `window-end`, and optionally when each Cluster's
 * last byte arrived. Exits when the parent goes away, or after --max-sec.
 */
import type { Arrival, FromViewers, ToViewers } from './protocol.js';
import { BenchViewer } from './viewer-socket.js';

const maxSec = Number(process.argv[2] ?? 600);
setTimeout(() => process.exit(3), maxSec * 1000);
process.on('disconnect', () => process.exit(0));

let viewers: BenchViewer[] = [];
let recording = false;
const arrivals = new Map<string, { count: number; firstNs: bigint; lastNs: bigint }>();
let windowStart: { ns: bigint; bytes: number[] } | null = null;

function send(message: FromViewers): void {
  process.send?.(message);
}

function onClusterEnd(tail: Buffer, ns: bigint): void {
  if (!recording) return;
  const key = tail.toString('hex');
  const seen = arrivals.get(key);
  if (!seen) arrivals.set(key, { count: 1, firstNs: ns, lastNs: ns });
  else {
    seen.count += 1;
    if (ns < seen.firstNs) seen.firstNs = ns;
    if (ns > seen.lastNs) seen.lastNs = ns;
  }
}

async function connectAll(message: Extract<ToViewers, { type: 'connect' }>): Promise<void> {
  const target = { host: message.host, port: message.port, path: message.path };
  viewers = [];
  for (let i = 0; i < message.count; i++) viewers.push(new BenchViewer(target, { onClusterEnd }));
  await Promise.all(viewers.map((v) => v.firstCluster(message.deadlineMs)));
  send({
    type: 'connected',
    firstClusterMs: viewers.map((v) => v.firstClusterMs),
    errors: viewers.flatMap((v) => (v.error ? [v.error] : [])),
  });
}

process.on('message', (message: ToViewers) => {
  switch (message.type) {
    case 'connect':
      void connectAll(message);
      return;
    case 'window-start':
      arrivals.clear();
      recording = message.recordArrivals;
      windowStart = { ns: process.hrtime.bigint(), bytes: viewers.map((v) => v.bytes) };
      return;
    case 'window-end': {
      const endNs = process.hrtime.bigint();
      recording = false;
      const start = windowStart ?? { ns: endNs, bytes: viewers.map(() => 0) };
      const list: Arrival[] = [...arrivals].map(([key, a]) => [
        key,
        a.count,
        Number(a.firstNs),
        Number(a.lastNs),
      ]);
      send({
        type: 'window',
        durationMs: Number(endNs - start.ns) / 1e6,
        bytes: viewers.map((v, i) => v.bytes - start.bytes[i]),
        closed: viewers.filter((v) => v.closed).length,
        arrivals: list,
      });
      return;
    }
  }
});
