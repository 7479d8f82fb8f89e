/**
 * The server under abuse, in a process of its own so that its memory, sockets and timers are its own:
 * the real ServeService reading a live Matroska stream on stdin (support/feeder.js writes it there in real
 * time), on 127.0.0.1 and a free port. Run with `--expose-gc` and an IPC channel; it answers `probe`
 * messages with what a leak would grow.
 *
 * Usage (forked by support/abuse.ts): abuse-server.js MAX_VIEWERS [MAX_VIEWERS_PER_ADDRESS]
 * (all the rig's viewers come from 127.0.0.1, so the per-address cap is MAX_VIEWERS unless given)
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { EventEmitter } from 'node:events';
import { ServeService } from '../server/serve.js';

export interface ServerProbe {
  rssBytes: number;
  /**
   * The anonymous part of RSS (/proc/self/status RssAnon): what the process allocated. The rest of RSS
   * is file-backed pages of the node binary, which grows as more of its code is first run.
   */
  rssAnonBytes: number;
  heapUsedBytes: number;
  /** Memory outside the JS heap: Buffers (the ring, socket queues) and native objects. */
  externalBytes: number;
  /** The HTTP server's open connections, viewers included. */
  connections: number;
  /** Open file descriptors (/proc/self/fd). */
  fds: number;
  /** process.getActiveResourcesInfo(), counted by kind: Timeout, TCPWrap, TCPServerWrap, PipeWrap… */
  resources: Record<string, number>;
  /** Listeners on the long-lived emitters, as `emitter:event`. */
  listeners: Record<string, number>;
  viewers: number;
  /** Viewers the server dropped for being too slow or stalled, since it started. */
  dropped: number;
  /** Skips to the next keyframe, per connected viewer. */
  skips: number[];
  state: string;
}

export type ToAbuseServer = { type: 'probe'; id: number; gc: boolean };
export type FromAbuseServer =
  { type: 'ready'; port: number } | { type: 'probe'; id: number; probe: ServerProbe };

function countListeners(into: Record<string, number>, name: string, emitter: EventEmitter): void {
  for (const event of emitter.eventNames()) into[`${name}:${String(event)}`] = emitter.listenerCount(event);
}

async function collectGarbage(): Promise<void> {
  // Buffers freed by one collection are released by finalizers that run in the next turns.
  for (let i = 0; i < 3; i++) {
    global.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function probe(service: ServeService, gc: boolean): Promise<ServerProbe> {
  if (gc) await collectGarbage();
  const memory = process.memoryUsage();
  const { connections, listeners: serverListeners } = await service.server.diagnostics();
  const resources: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1;
  const listeners: Record<string, number> = {};
  for (const [event, count] of Object.entries(serverListeners)) listeners[`server:${event}`] = count;
  countListeners(listeners, 'publisher', service.publisher);
  countListeners(listeners, 'process', process);
  countListeners(listeners, 'stdin', process.stdin);
  const status = service.server.status();
  const anonKb = Number(/^RssAnon:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
  return {
    rssBytes: memory.rss,
    rssAnonBytes: anonKb * 1024,
    heapUsedBytes: memory.heapUsed,
    externalBytes: memory.external,
    connections,
    fds: readdirSync('/proc/self/fd').length,
    resources,
    listeners,
    viewers: status.viewers.length,
    dropped: status.dropped,
    skips: status.viewers.map((v) => v.skips),
    state: status.state,
  };
}

async function main(send: (message: FromAbuseServer) => void): Promise<void> {
  const maxViewers = Number(process.argv[2] ?? 256);
  const maxViewersPerAddress = Number(process.argv[3] ?? maxViewers);
  const service = new ServeService({
    input: '-',
    stdin: process.stdin,
    host: '127.0.0.1',
    port: 0,
    maxViewers,
    maxViewersPerAddress,
    maxLagMs: 2000,
    fastStartSegments: 0,
    token: null,
    loop: false,
  });
  const { port } = await service.start();
  process.on('message', (message: ToAbuseServer) => {
    if (message.type === 'probe')
      void probe(service, message.gc).then((p) => send({ type: 'probe', id: message.id, probe: p }));
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port });
  await service.done;
  process.exit(0);
}

// `node --test dist/` runs every file under test/: without the IPC channel of a fork there is nothing to do.
const send = process.send?.bind(process);
if (send) {
  main((message) => void send(message)).catch((error: unknown) => {
    process.stderr.write(`abuse-server: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
