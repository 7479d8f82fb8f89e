/**
 * The raw loopback pump: the machine's limit for the fan-out. It reads the live stream from stdin with
 * MatroskaReader (as the server does) and writes every Cluster Buffer to every connected socket, and
 * nothing else: no HTTP parsing, no per-viewer timestamps, queues or lag policy. Backpressure is ignored
 * (write() is called whatever it returned; Node keeps what the kernel did not take, and the largest such
 * queue is reported), so the pump never drops a byte and never waits.
 *
 * A new socket gets the same HTTP head as the server's, the init header and the clusters of the current
 * GOP from its keyframe (what the server sends a new viewer), so players and the bench viewers read both
 * the same way. The request is read and ignored. With `chunked` framing (what the server answers an
 * HTTP/1.1 request with), each Buffer is framed as an HTTP chunk once, when it arrives, and that one
 * Buffer goes to every socket: the same bytes the server writes, in one write instead of its writev.
 *
 * Usage (forked by bench/run.ts, stdin = the feeder): pump.js HOST MAX_SEC chunked|close. Says `listening`
 * with its port on the IPC channel; answers `status` with its viewer count and fan-out times.
 */
import { createServer, type Socket } from 'node:net';
import { MatroskaReader } from '../server/matroska/reader.js';
import type { FromPump, ToPump } from '../support/protocol.js';
import { percentile } from '../support/stats.js';

const [host, maxSecArg, framing] = process.argv.slice(2);
const chunked = framing === 'chunked';
setTimeout(() => process.exit(3), Number(maxSecArg ?? 600) * 1000);
process.on('disconnect', () => process.exit(0));
// A clean exit, so that `node --cpu-prof` writes its profile.
process.on('SIGTERM', () => process.exit(0));

const HEAD = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: video/x-matroska\r\nCache-Control: no-store\r\n' +
    'X-Content-Type-Options: nosniff\r\nAccess-Control-Allow-Origin: *\r\n' +
    (chunked ? 'Transfer-Encoding: chunked\r\n' : '') +
    'Connection: close\r\n\r\n',
);

function framed(bytes: Buffer): Buffer {
  if (!chunked) return bytes;
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);
}

const sockets = new Set<Socket>();
let header: Buffer | null = null;
let gop: Buffer[] = [];
const fanoutMs = new Float64Array(512);
let fanoutCount = 0;
let maxQueuedBytes = 0;

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => socket.destroy());
  socket.on('close', () => sockets.delete(socket));
  socket.resume(); // the request: read and dropped
  socket.write(HEAD);
  if (header) socket.write(header);
  for (const cluster of gop) socket.write(cluster);
  sockets.add(socket);
});

function publish(cluster: Buffer, keyframe: boolean, arrivedMs: number): void {
  if (keyframe) gop = [];
  gop.push(cluster);
  for (const socket of sockets) {
    socket.write(cluster);
    if (socket.writableLength > maxQueuedBytes) maxQueuedBytes = socket.writableLength;
  }
  fanoutMs[fanoutCount++ % fanoutMs.length] = performance.now() - arrivedMs;
}

server.listen({ host, port: 0, backlog: 4096 }, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.send?.({ type: 'listening', port } satisfies FromPump);
});

process.on('message', (message: ToPump) => {
  if (message.type !== 'status') return;
  const samples = Array.from(fanoutMs.subarray(0, Math.min(fanoutCount, fanoutMs.length)));
  process.send?.({
    type: 'status',
    viewers: sockets.size,
    fanout: { p50Ms: percentile(samples, 0.5), p99Ms: percentile(samples, 0.99) },
    maxQueuedBytes,
  } satisfies FromPump);
});

const reader = new MatroskaReader();
for await (const chunk of process.stdin) {
  for (const event of reader.push(chunk as Buffer)) {
    const arrivedMs = performance.now();
    if (event.kind === 'header') header = framed(event.header.bytes);
    else publish(framed(event.cluster.bytes), event.cluster.keyframe, arrivedMs);
  }
}
process.exit(0);
