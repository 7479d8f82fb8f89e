import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import type { OutputsStatus, StreamState, StreamStatus } from '../api.js';
import type { Publisher } from '../stream/publisher.js';
import { corsHeaders, preflightHeaders } from './cors.js';
import { listenError } from './errors.js';
import { LANDING_CSP, landingPage } from './landing.js';
import { linkHost } from './links.js';
import { plainAnswer, SECURITY_HEADERS } from './plain.js';
import { clientName } from './user-agent.js';
import type { WhepEndpoint } from '../webrtc/whep.js';
import { serveWhep } from './whep-route.js';
import { WebRtcError } from '../webrtc/errors.js';
import { webRtcTracks } from '../webrtc/rtp-timeline.js';

export interface StreamServerOptions {
  host: string;
  port: number;
  maxViewers: number;
  /**
   * Viewers at once from one address (default 8): one machine that opens connections and never reads
   * them cannot take every place under maxViewers.
   */
  maxViewersPerAddress?: number;
  /** The one origin whose pages may read /status and the stream (CORS); null or absent: none. */
  cors?: string | null;
  /** When set, every path lives under `/<token>/`; anything else is 404. */
  token: string | null;
  publisher: Publisher;
  /** What the input side says about itself, for /status. */
  source: () => { state: StreamState; input: string };
  /**
   * HTTP ingest (`mkvcast serve --ingest`): `PUT /<key>/ingest` is handed to `handle`, which owns the
   * request from there (see server/input/http-ingest.ts). A wrong key is a 404, like any unknown path.
   */
  ingest?: IngestHook;
  /** Recording, pushes and the upload budget (server/output/outputs.ts), when there are any. */
  outputs?: OutputsHook;
  /** WebRTC viewers (WHEP, `POST /<token>/whep`); absent: that path is a 404. */
  whep?: WhepEndpoint;
  /** Request header limits (Node's defaults are generous; a viewer sends a few hundred bytes). */
  maxHeaderBytes?: number;
  headersTimeoutMs?: number;
}

export interface OutputsHook {
  status(): OutputsStatus;
  /** Null when one more viewer fits the upload budget, else why not (the 503's body). */
  refusal(): string | null;
}

export interface IngestHook {
  key: string;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

const ALLOW = 'GET, HEAD';
const RETRY_AFTER_SEC = 5;
export const DEFAULT_MAX_VIEWERS_PER_ADDRESS = 8;

/** Token comparison whose time does not depend on where the strings differ (or on their lengths). */
function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function remoteAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

type Route = 'landing' | 'stream' | 'status' | 'redirect' | 'whep' | null;

/**
 * The HTTP face of the server: the live stream, its landing page and /status. Live responses are
 * written straight to the socket after a hand-written head (no chunked framing, close-delimited body)
 * so a cluster costs one writev per viewer.
 */
export class StreamServer {
  private readonly server: Server;
  private readonly startedAtMs = Date.now();
  /** Sockets that carry a live stream: no further request on them is read. */
  private readonly streaming = new WeakSet<Socket>();
  private refusedCount = 0;
  private boundPort = 0;

  constructor(private readonly options: StreamServerOptions) {
    const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
    this.server = createServer(
      {
        maxHeaderSize: options.maxHeaderBytes ?? 8192,
        noDelay: true,
        // Node checks the header timeout only this often (30 s by default): a Slowloris connection
        // would then hold its socket up to 40 s instead of 10.
        connectionsCheckingInterval: Math.min(1000, headersTimeoutMs),
      },
      (req, res) => this.handle(req, res),
    );
    this.server.headersTimeout = headersTimeoutMs;
    // Node's whole-request timeout would cut a pushed stream (an endless request body). Every other
    // route answers without reading a body, so with ingest the header timeout is the bound that matters.
    this.server.requestTimeout = options.ingest ? 0 : headersTimeoutMs + 5_000;
    this.server.keepAliveTimeout = 5_000;
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) =>
      this.onClientError(error, socket),
    );
  }

  /** Starts listening; rejects with an HttpError (code + fix) when it cannot. */
  async listen(): Promise<{ host: string; port: number }> {
    const { host, port } = this.options;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => reject(listenError(error, host, port));
      this.server.once('error', onError);
      // A large backlog: hundreds of viewers may connect in the same instant.
      this.server.listen({ host, port, backlog: 4096 }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const address = this.server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : port;
    return { host, port: this.boundPort };
  }

  get port(): number {
    return this.boundPort;
  }

  /**
   * What the server holds right now, for leak checks: open connections (viewers included) and the
   * listeners on the HTTP server, by event.
   */
  async diagnostics(): Promise<{ connections: number; listeners: Record<string, number> }> {
    const connections = await new Promise<number>((resolve, reject) =>
      this.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
    const listeners: Record<string, number> = {};
    for (const name of this.server.eventNames()) listeners[String(name)] = this.server.listenerCount(name);
    return { connections, listeners };
  }

  /** The path of the stream, with the token when one is set. */
  get streamPath(): string {
    return this.options.token ? `/${this.options.token}/live.mkv` : '/live.mkv';
  }

  /** Stops listening and drops every connection, viewers included. */
  async close(): Promise<void> {
    this.options.whep?.closeAll();
    this.options.publisher.closeAll('server stopped');
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  status(): StreamStatus {
    const { publisher, source, maxViewers } = this.options;
    const header = publisher.header;
    const rates = publisher.rates();
    const { state, input } = source();
    return {
      state,
      input,
      docType: header?.docType ?? null,
      tracks: (header?.tracks ?? []).map(({ number, kind, codec, width, height, sampleRate, channels }) => ({
        number,
        kind,
        codec,
        width,
        height,
        sampleRate,
        channels,
      })),
      bitrateKbps: rates.bitrateKbps,
      fps: rates.fps,
      segments: publisher.segments(),
      fanout: publisher.fanout(),
      uptimeSec: Math.round((Date.now() - this.startedAtMs) / 1000),
      viewers: publisher.viewerInfos(),
      maxViewers,
      dropped: publisher.dropped,
      refused: this.refusedCount,
      ...(this.options.outputs ? { outputs: this.options.outputs.status() } : {}),
    };
  }

  private route(rawUrl: string): Route {
    // The absolute form (`GET http://host/live.mkv`, RFC 9112 §3.2.2) must be accepted: its path counts.
    const path = rawUrl.replace(/^https?:\/\/[^/?#]*/i, '').split('?')[0] || '/';
    let rest = path;
    const { token } = this.options;
    if (token) {
      const match = /^\/([^/]*)(.*)$/.exec(path);
      if (!match || !sameSecret(match[1], token)) return null;
      rest = match[2];
      if (rest === '') return 'redirect';
    }
    if (rest === '/') return 'landing';
    if (rest === '/live.mkv' || rest === '/live.webm') return 'stream';
    if (rest === '/status') return 'status';
    if (this.options.whep && /^\/whep(\/[A-Za-z0-9_-]{1,64})?$/.test(rest)) return 'whep';
    return null;
  }

  /** `/<key>/ingest` with the right key, compared in constant time as the viewer token is. */
  private isIngest(rawUrl: string): boolean {
    const key = this.options.ingest?.key;
    if (!key) return false;
    const path = rawUrl.replace(/^https?:\/\/[^/?#]*/i, '').split('?')[0];
    const match = /^\/([^/]*)\/ingest$/.exec(path);
    return match !== null && sameSecret(match[1], key);
  }

  private ingest(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'PUT' && req.method !== 'POST') {
      res.setHeader('Allow', 'PUT, POST');
      return plainAnswer(res, 405, `Method ${req.method} is not allowed here; push with PUT (or POST).\n`);
    }
    // A request pipelined behind the pushed body could never be answered: handle() closes it.
    this.streaming.add(req.socket);
    this.options.ingest?.handle(req, res);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.streaming.has(req.socket)) {
      // A request pipelined behind a live stream can never be answered (the stream has no end), and
      // one connection must not become several viewers writing into the same socket: close it.
      return void req.socket.destroy();
    }
    if (req.httpVersionMajor !== 1) {
      return plainAnswer(res, 505, 'Only HTTP/1.0 and HTTP/1.1 are spoken here.\n');
    }
    if (this.isIngest(req.url ?? '/')) return this.ingest(req, res);
    const route = this.route(req.url ?? '/');
    if (!route) return plainAnswer(res, 404, 'Not found.\n');
    if (route === 'whep') return this.whep(req, res);
    const cors = this.options.cors ?? null;
    if (req.method === 'OPTIONS' && cors && req.headers.origin === cors) {
      res.writeHead(204, { ...SECURITY_HEADERS, ...preflightHeaders(cors), 'Content-Length': 0 });
      return void res.end();
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', ALLOW);
      return plainAnswer(res, 405, `Method ${req.method} is not allowed here; use GET.\n`);
    }
    switch (route) {
      case 'redirect':
        res.writeHead(301, { ...SECURITY_HEADERS, Location: `/${this.options.token}/`, 'Content-Length': 0 });
        return void res.end();
      case 'landing':
        return this.landing(req, res);
      case 'status':
        return this.sendStatus(req, res);
      case 'stream':
        return this.stream(req, res);
    }
  }

  private sendStatus(req: IncomingMessage, res: ServerResponse): void {
    const body = JSON.stringify(this.status(), null, 2) + '\n';
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      ...corsHeaders(this.options.cors ?? null, req.headers.origin),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private landing(req: IncomingMessage, res: ServerResponse): void {
    const name = hostname();
    const host = linkHost(req.headers.host, req.socket.localAddress ?? this.options.host, this.boundPort, [
      name,
      `${name}.local`,
    ]);
    const header = this.options.publisher.header;
    const body = landingPage({
      streamUrl: `http://${host}${this.streamPath}`,
      streamPath: 'live.mkv',
      tracks: header?.tracks ?? [],
      live: header !== null,
      ...this.webrtcOnLanding(),
    });
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      'Content-Security-Policy': LANDING_CSP,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** What the landing page says of WebRTC: where WHEP is, or why this stream cannot use it. */
  private webrtcOnLanding(): { whepPath: string | null; webrtcUnsupported: string | null } {
    if (!this.options.whep) return { whepPath: null, webrtcUnsupported: null };
    try {
      webRtcTracks(this.options.publisher.header);
      return { whepPath: 'whep', webrtcUnsupported: null };
    } catch (error) {
      const unsupported = error instanceof WebRtcError && error.code === 'UNSUPPORTED_STREAM';
      return { whepPath: 'whep', webrtcUnsupported: unsupported ? error.message : null };
    }
  }

  private contentType(): string {
    return this.options.publisher.header?.docType === 'webm' ? 'video/webm' : 'video/x-matroska';
  }

  private stream(req: IncomingMessage, res: ServerResponse): void {
    const { publisher } = this.options;
    // Players (Chromium among them) ask for `bytes=0-`: that is the live stream. Any other range of a
    // live stream cannot be served; a Range header we cannot parse is ignored, as RFC 9110 says.
    const range = req.headers.range;
    if (range && /^bytes=\d*-\d*$/.test(range.trim()) && range.trim() !== 'bytes=0-') {
      return plainAnswer(
        res,
        416,
        'This is a live stream: only the whole stream (bytes=0-) can be requested.\n',
        {
          'Content-Range': 'bytes */*',
        },
      );
    }
    if (publisher.isEnded) return plainAnswer(res, 410, 'The stream has ended.\n');
    if (req.method === 'HEAD') {
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': this.contentType(),
        'Cache-Control': 'no-store',
        ...corsHeaders(this.options.cors ?? null, req.headers.origin),
      });
      return void res.end();
    }
    const address = remoteAddress(req.socket);
    const refused = this.refusal(address);
    if (refused) {
      return plainAnswer(res, 503, refused + '\n', { 'Retry-After': RETRY_AFTER_SEC });
    }
    const overBudget = this.options.outputs?.refusal() ?? null;
    if (overBudget) {
      this.refusedCount += 1;
      return plainAnswer(res, 503, overBudget, { 'Retry-After': RETRY_AFTER_SEC });
    }
    const socket = req.socket;
    // HTTP/1.1 gets a chunked body so that the end of the stream is a clean end, not a cut connection.
    const chunked = req.httpVersionMajor === 1 && req.httpVersionMinor >= 1;
    const cors = Object.entries(corsHeaders(this.options.cors ?? null, req.headers.origin));
    const head =
      'HTTP/1.1 200 OK\r\n' +
      `Content-Type: ${this.contentType()}\r\n` +
      'Cache-Control: no-store\r\n' +
      'X-Content-Type-Options: nosniff\r\n' +
      cors.map(([name, value]) => `${name}: ${value}\r\n`).join('') +
      (chunked ? 'Transfer-Encoding: chunked\r\n' : '') +
      'Connection: close\r\n' +
      '\r\n';
    socket.setTimeout(0);
    // Still read (so that a viewer that hangs up is noticed even while no cluster is being written),
    // but any further request on it ends it: see handle().
    this.streaming.add(socket);
    socket.write(head);
    const userAgent = String(req.headers['user-agent'] ?? '').slice(0, 256);
    const viewer = publisher.addViewer(
      {
        id: randomBytes(4).toString('hex'),
        address,
        client: clientName(userAgent),
        userAgent,
      },
      socket,
      chunked ? 'chunked' : 'close',
    );
    // The response object is never used for this request: the viewer owns the socket from here on.
    res.on('close', () => viewer.close('client closed'));
  }

  /**
   * Why one more viewer from `address` is refused now (the caps count HTTP and WebRTC viewers alike),
   * or null; a refusal is counted.
   */
  private refusal(address: string): string | null {
    const { publisher, maxViewers } = this.options;
    const perAddress = this.options.maxViewersPerAddress ?? DEFAULT_MAX_VIEWERS_PER_ADDRESS;
    // WHEP offers still being answered hold their places too (a burst of POSTs must not overshoot the cap).
    const whep = this.options.whep;
    const fromAddress = publisher.viewersFrom(address) + (whep?.pendingFrom(address) ?? 0);
    if (fromAddress >= perAddress) {
      this.refusedCount += 1;
      return (
        `${address} already watches this stream ${fromAddress} times, the limit for one address. ` +
        'Close a player you no longer watch, or ask whoever shares the stream to raise --max-viewers-per-address.'
      );
    }
    if (publisher.viewerCount + (whep?.pending ?? 0) >= maxViewers) {
      this.refusedCount += 1;
      return `This stream already has ${maxViewers} viewers, its limit. Try again later.`;
    }
    return null;
  }

  private whep(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').replace(/^https?:\/\/[^/?#]*/i, '').split('?')[0];
    const at = path.lastIndexOf('/whep');
    const cors = this.options.cors ?? null;
    serveWhep(req, res, {
      endpoint: this.options.whep!,
      basePath: path.slice(0, at + 5),
      session: path.length > at + 5 ? path.slice(at + 6) : null,
      address: remoteAddress(req.socket),
      refusal: (address) => {
        const refused = this.refusal(address);
        if (refused) return refused;
        // The upload budget counts a WebRTC viewer as an HTTP one: the same frames go out.
        const overBudget = this.options.outputs?.refusal() ?? null;
        if (overBudget) this.refusedCount += 1;
        return overBudget?.trim() ?? null;
      },
      corsOrigin: cors && req.headers.origin === cors ? cors : null,
    });
  }

  private onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
    if (!socket.writable || socket.bytesWritten > 0) return void socket.destroy();
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const reason =
      status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }
}
