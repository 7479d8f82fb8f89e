/**
 * One bench viewer: a raw TCP socket that sends `GET <path> HTTP/1.1` and reads the answer into a buffer
 * shared by every viewer of the process (Node's `onread` option: no allocation per read), counting bytes
 * and scanning them with a ClusterScanner.
 */
import { connect, type Socket } from 'node:net';
import { ClusterScanner, type ScannerEvents } from './cluster-scanner.js';

export interface ViewerTarget {
  host: string;
  port: number;
  path: string;
}

/** Reads of all viewers of a process land here, one at a time (the callback is synchronous). */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export class BenchViewer {
  readonly connectNs = process.hrtime.bigint();
  firstClusterNs: bigint | null = null;
  bytes = 0;
  closed = false;
  error: string | null = null;
  private readonly socket: Socket;
  private readonly scanner: ClusterScanner;
  private readonly waiters: (() => void)[] = [];

  constructor(target: ViewerTarget, events: ScannerEvents = {}) {
    this.scanner = new ClusterScanner({
      onFirstCluster: (ns) => {
        this.firstClusterNs = ns;
        events.onFirstCluster?.(ns);
        this.wake();
      },
      onClusterEnd: events.onClusterEnd,
    });
    this.socket = connect({
      host: target.host,
      port: target.port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array) => {
          this.bytes += n;
          this.scanner.push((buf as Buffer).subarray(0, n), process.hrtime.bigint());
          if (this.scanner.error !== null && this.error === null) {
            this.error = this.scanner.error;
            this.socket.destroy();
          }
          return true;
        },
      },
    });
    this.socket.on('connect', () => {
      this.socket.write(
        `GET ${target.path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nUser-Agent: mkvcast-bench\r\n\r\n`,
      );
    });
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      this.error ??= error.code ?? error.message;
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Resolves when the first Cluster byte has arrived or the socket closed, or after `timeoutMs`. */
  firstCluster(timeoutMs: number): Promise<void> {
    if (this.firstClusterNs !== null || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The body is chunked (Transfer-Encoding: chunked), known once the head has arrived. */
  get chunked(): boolean {
    return this.scanner.chunked;
  }

  /** Milliseconds from `connect()` to the first byte of the first Cluster, or null. */
  get firstClusterMs(): number | null {
    return this.firstClusterNs === null ? null : Number(this.firstClusterNs - this.connectNs) / 1e6;
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
