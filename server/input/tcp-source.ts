import { createServer, type Server, type Socket } from 'node:net';
import { InputError } from './errors.js';
import { PushSource, type PushSourceOptions } from './push-source.js';

function remoteAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Whether `host` listens on every interface (anyone on the network can reach it). */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '' || host === '[::]';
}

/**
 * Listens on HOST:PORT for pushed streams, one pusher at a time (what `nc -l | mkvcast` did): raw TCP,
 * no authentication, for trusted networks; see HttpIngestSource for the authenticated way in.
 */
export class TcpSource extends PushSource {
  private server: Server | null = null;
  private boundPort: number;

  constructor(
    readonly host: string,
    private readonly port: number,
    options: PushSourceOptions,
  ) {
    super(options);
    this.boundPort = port;
  }

  get description(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `tcp://${host}:${this.boundPort}`;
  }

  /** Starts listening (idempotent); the bound port. Rejects with BAD_INPUT_SPEC when it cannot. */
  async listen(): Promise<number> {
    if (this.server) return this.boundPort;
    const created = createServer((socket) => this.accept(socket));
    const { host, port } = this;
    await new Promise<void>((resolve, reject) => {
      created.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new InputError(
            'BAD_INPUT_SPEC',
            error.code === 'EADDRINUSE'
              ? `Port ${port} for the TCP input is in use by another program.`
              : `Could not listen for the TCP input on ${host}:${port}: ${error.message}.`,
            'Pick another port in tcp://HOST:PORT.',
          ),
        ),
      );
      created.listen({ host, port }, () => resolve());
    });
    const address = created.address();
    this.boundPort = typeof address === 'object' && address ? address.port : port;
    this.server = created;
    return this.boundPort;
  }

  override async *open(signal: AbortSignal): AsyncGenerator<Buffer> {
    await this.listen();
    yield* super.open(signal);
  }

  override async close(): Promise<void> {
    await super.close();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const offer = this.offer({
      address: remoteAddress(socket),
      stream: socket,
      drop: () => socket.destroy(),
      finish: () => socket.end(),
    });
    // Raw TCP has no way to say why: the refusal is in the server's log.
    if (!offer.accepted) socket.destroy();
  }
}
