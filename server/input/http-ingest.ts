import type { IncomingMessage, ServerResponse } from 'node:http';
import { PushSource, type PushSourceOptions } from './push-source.js';

/** The path a pusher PUTs to (the key is a secret, like the viewer token). */
export function ingestPath(key: string): string {
  return `/${key}/ingest`;
}

/** The ffmpeg command that pushes INPUT to `baseUrl` (`http://HOST:PORT`), for people to copy. */
export function pushCommand(baseUrl: string, key: string): string {
  return `ffmpeg -re -i INPUT -c copy -f matroska -method PUT ${baseUrl}${ingestPath(key)}`;
}

function remoteAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * `mkvcast serve --ingest`: the input is pushed as an HTTP request body (`PUT /<key>/ingest`, chunked,
 * as ffmpeg's `-method PUT` sends it, or as Icecast takes a source), one pusher at a time. The HTTP
 * server checks the key and the method and hands the request over to handle().
 */
export class HttpIngestSource extends PushSource {
  readonly description = 'HTTP ingest';

  constructor(options: PushSourceOptions) {
    super(options);
  }

  /** A push request with the right key: read it as the next run, or refuse it with 409 and why. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    // A live push has no end the server could wait for: the header timeout applied, no body timeout does.
    socket.setTimeout(0);
    const answer = (status: number, body: string, extra: Record<string, string | number> = {}): void => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(status, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-store',
        Connection: 'close',
        ...extra,
      });
      res.end(body);
    };
    const offer = this.offer({
      address: remoteAddress(req),
      stream: req,
      drop: () => socket.destroy(),
      finish: () => answer(200, 'Push received; the server waits for the next one.\n'),
    });
    if (offer.accepted) return;
    const inSec = Math.ceil(offer.takeoverInMs / 1000);
    answer(
      409,
      `Another pusher (from ${offer.activeAddress}) is sending this stream. A push can take over once it has ` +
        `delivered no complete cluster for ${offer.takeoverMs / 1000} s` +
        `${inSec > 0 ? `: try again in ${inSec} s at the earliest` : ''}.\n`,
      { 'Retry-After': Math.max(1, inSec) },
    );
    // Its body is not read: close the connection once the answer is out.
    res.once('finish', () => socket.destroy());
  }
}
