import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Publisher } from '../stream/publisher.js';
import { liveClusters, makeHeader, parseClusters } from '../../support/stream-clusters.js';
import { StreamServer, type StreamServerOptions } from './server.js';

/** A server on 127.0.0.1 and a free port over `publisher`, live, two viewers at most, unless `options` say otherwise. */
function testServer(publisher: Publisher, options: Partial<StreamServerOptions> = {}): StreamServer {
  return new StreamServer({
    host: '127.0.0.1',
    port: 0,
    maxViewers: 2,
    token: null,
    publisher,
    source: () => ({ state: 'live', input: 'test' }),
    ...options,
  });
}

/** One raw HTTP exchange: what the server sent back before it closed (or `waitMs` passed). */
function raw(port: number, request: string, waitMs = 300, localAddress = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(data);
    }, waitMs);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.write(request);
  });
}

/** The body of a chunked response: the chunks' data, and whether the last (empty) chunk came. */
function dechunk(body: Buffer): { data: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at, 'latin1');
    if (lineEnd < 0) return { data: Buffer.concat(parts), complete: false };
    const size = parseInt(body.toString('latin1', at, lineEnd), 16);
    if (size === 0) return { data: Buffer.concat(parts), complete: true };
    if (lineEnd + 2 + size + 2 > body.length) return { data: Buffer.concat(parts), complete: false };
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    assert.equal(body.toString('latin1', lineEnd + 2 + size, lineEnd + 4 + size), '\r\n');
    at = lineEnd + 4 + size;
  }
}

const bodyOf = (response: string): Buffer =>
  Buffer.from(response.slice(response.indexOf('\r\n\r\n') + 4), 'latin1');

const statusOf = (response: string): number => Number(/^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1] ?? 0);

describe('StreamServer', () => {
  const publisher = new Publisher();
  const server = testServer(publisher);
  let port = 0;
  before(async () => {
    port = (await server.listen()).port;
    publisher.setHeader(makeHeader(), 'first');
    for (const cl of liveClusters(25, { gop: 10 })) publisher.publish(cl);
  });
  after(() => server.close());

  it('GET /live.mkv streams the header and the current GOP from its keyframe, chunked for HTTP/1.1', async () => {
    const response = await raw(
      port,
      'GET /live.mkv HTTP/1.1\r\nHost: x\r\nUser-Agent: VLC/3.0.18 LibVLC/3.0.18\r\n\r\n',
    );
    assert.equal(statusOf(response), 200);
    assert.match(response, /Content-Type: video\/x-matroska/);
    assert.match(response, /Cache-Control: no-store/);
    assert.match(response, /Transfer-Encoding: chunked/);
    assert.doesNotMatch(response, /Content-Length/);
    const body = dechunk(bodyOf(response)).data;
    assert.ok(body.subarray(0, makeHeader().bytes.length).equals(makeHeader().bytes));
    const clusters = parseClusters(body, makeHeader().bytes.length);
    assert.equal(clusters.length, 5);
    assert.equal(clusters[0].ts, 0);
  });

  it('HTTP/1.0 gets the same bytes unframed, ended by closing the connection', async () => {
    const response = await raw(port, 'GET /live.mkv HTTP/1.0\r\n\r\n');
    assert.equal(statusOf(response), 200);
    assert.doesNotMatch(response, /Transfer-Encoding|Content-Length/);
    assert.equal(parseClusters(bodyOf(response), makeHeader().bytes.length).length, 5);
  });

  it('HEAD answers the headers only', async () => {
    const response = await raw(port, 'HEAD /live.mkv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(response), 200);
    assert.equal(response.slice(response.indexOf('\r\n\r\n') + 4), '');
  });

  it('Range: bytes=0- gets the live stream; other ranges get 416', async () => {
    assert.equal(
      statusOf(await raw(port, 'GET /live.mkv HTTP/1.1\r\nHost: x\r\nRange: bytes=0-\r\n\r\n')),
      200,
    );
    const r = await raw(
      port,
      'GET /live.mkv HTTP/1.1\r\nHost: x\r\nRange: bytes=500-\r\nConnection: close\r\n\r\n',
    );
    assert.equal(statusOf(r), 416);
    assert.match(r, /Content-Range: bytes \*\/\*/);
  });

  it('unknown paths are 404, other methods 405 with Allow', async () => {
    assert.equal(
      statusOf(await raw(port, 'GET /etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')),
      404,
    );
    assert.equal(
      statusOf(await raw(port, 'GET /../live.mkv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')),
      404,
    );
    const r = await raw(
      port,
      'POST /live.mkv HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    );
    assert.equal(statusOf(r), 405);
    assert.match(r, /Allow: GET, HEAD/);
  });

  it('/status is JSON with the viewers, / is the landing page with its player and CSP', async () => {
    const status = await fetch(`http://127.0.0.1:${port}/status`);
    assert.equal(status.status, 200);
    const json = (await status.json()) as { state: string; tracks: { codec: string }[]; viewers: unknown[] };
    assert.equal(json.state, 'live');
    assert.equal(json.tracks[0].codec, 'h264');
    assert.ok(Array.isArray(json.viewers));
    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'sha256-/);
    const html = await page.text();
    assert.match(html, /<video id="player" data-src="live.mkv"/);
    assert.match(html, /mpv --profile=low-latency/);
  });

  it('refuses viewers over the cap with 503 and Retry-After', async () => {
    const hold = [
      raw(port, 'GET /live.mkv HTTP/1.1\r\nHost: x\r\n\r\n', 600),
      raw(port, 'GET /live.mkv HTTP/1.1\r\nHost: x\r\n\r\n', 600),
    ];
    await new Promise((resolve) => setTimeout(resolve, 150));
    const third = await raw(port, 'GET /live.mkv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(third), 503);
    assert.match(third, /Retry-After: 5/);
    await Promise.all(hold);
  });

  it('a request pipelined behind the live stream closes the connection: one connection is one viewer', async () => {
    const get = 'GET /live.mkv HTTP/1.1\r\nHost: x\r\n\r\n';
    const startedMs = performance.now();
    const response = await raw(port, get.repeat(3), 2000);
    assert.ok(performance.now() - startedMs < 1500, 'the server closed the connection');
    assert.equal(response.match(/HTTP\/1\.1 /g)?.length, 1, 'one response head');
    assert.equal(publisher.viewerCount, 0);
  });

  it('HTTP versions other than 1.0 and 1.1 get 505', async () => {
    for (const request of ['GET /live.mkv HTTP/2.0\r\n\r\n', 'GET /live.mkv\r\n\r\n']) {
      const r = await raw(port, request);
      assert.equal(statusOf(r), 505, JSON.stringify(request));
      assert.doesNotMatch(r, /matroska/);
    }
  });

  it('a refused request is answered and closed at once, its announced body never waited for', async () => {
    const startedMs = performance.now();
    const r = await raw(
      port,
      'POST /live.mkv HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nab',
      3000,
    );
    assert.equal(statusOf(r), 405);
    assert.match(r, /Connection: close/);
    assert.ok(performance.now() - startedMs < 2000, 'closed by the server, not by the client giving up');
  });

  it('oversized request headers get 431', async () => {
    const r = await raw(port, `GET /live.mkv HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.equal(statusOf(r), 431);
  });
});

describe('StreamServer header timeout', () => {
  const publisher = new Publisher();
  const server = testServer(publisher, { headersTimeoutMs: 500 });
  let port = 0;
  before(async () => {
    port = (await server.listen()).port;
  });
  after(() => server.close());

  it('a viewer that hangs up before the input has started is forgotten at once', async () => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /live.mkv HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => socket.once('data', resolve));
    assert.equal(publisher.viewerCount, 1);
    socket.end();
    const deadline = Date.now() + 2000;
    while (publisher.viewerCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(publisher.viewerCount, 0, 'no write is coming to notice it: the close itself must be');
    socket.destroy();
  });

  it('a request whose headers keep dribbling in (Slowloris) gets 408 soon after the header timeout', async () => {
    const startedMs = performance.now();
    const lines = Array.from({ length: 50 }, (_, i) => `X-Slow-${i}: ${i}\r\n`);
    const socket = connect(port, '127.0.0.1');
    const answer = await new Promise<string>((resolve) => {
      let data = '';
      let i = 0;
      const dribble = setInterval(() => socket.write(lines[i++ % lines.length]), 100);
      const giveUp = setTimeout(() => socket.destroy(), 5000);
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => (data += d));
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(dribble);
        clearTimeout(giveUp);
        resolve(data);
      });
      socket.write('GET /live.mkv HTTP/1.1\r\nHost: x\r\n');
    });
    const heldMs = performance.now() - startedMs;
    assert.equal(statusOf(answer), 408);
    // Node checks the timeout once per connectionsCheckingInterval: 30 s unless the server sets it.
    assert.ok(heldMs < 2500, `the connection was held ${Math.round(heldMs)} ms`);
  });
});

describe('StreamServer with a viewer token', () => {
  const publisher = new Publisher();
  const server = testServer(publisher, {
    maxViewers: 8,
    token: 'sEcReT-token_123',
    source: () => ({ state: 'waiting', input: 'test' }),
  });
  let port = 0;
  before(async () => {
    port = (await server.listen()).port;
  });
  after(() => server.close());

  it('serves only under /<token>/, and a wrong token looks like any unknown path', async () => {
    const get = (path: string) => raw(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.equal(statusOf(await get('/live.mkv')), 404);
    assert.equal(statusOf(await get('/status')), 404);
    assert.equal(statusOf(await get('/')), 404);
    assert.equal(statusOf(await get('/sEcReT-token_124/live.mkv')), 404);
    assert.equal(statusOf(await get('/sEcReT-token_123/status')), 200);
    assert.equal(statusOf(await get('/sEcReT-token_123/')), 200);
    assert.equal(statusOf(await get('/sEcReT-token_123')), 301);
  });
});

describe('StreamServer: who may read what, and from where', () => {
  const publisher = new Publisher();
  const server = testServer(publisher, {
    maxViewers: 8,
    maxViewersPerAddress: 2,
    cors: 'http://allowed.example:3000',
  });
  const open = new Publisher();
  const openServer = testServer(open);
  let port = 0;
  let openPort = 0;
  before(async () => {
    port = (await server.listen()).port;
    openPort = (await openServer.listen()).port;
    for (const p of [publisher, open]) {
      p.setHeader(makeHeader(), 'first');
      for (const cl of liveClusters(10, { gop: 10 })) p.publish(cl);
    }
  });
  after(async () => {
    await server.close();
    await openServer.close();
  });

  const ask = (p: number, path: string, origin: string, method = 'GET'): Promise<string> =>
    raw(p, `${method} ${path} HTTP/1.1\r\nHost: x\r\nOrigin: ${origin}\r\nConnection: close\r\n\r\n`, 300);
  const headOf = (response: string): string => response.slice(0, response.indexOf('\r\n\r\n'));

  it('sends no CORS header by default, on /status, the stream or anything else', async () => {
    for (const path of ['/status', '/live.mkv', '/', '/nope']) {
      const head = headOf(await ask(openPort, path, 'http://evil.example'));
      assert.doesNotMatch(head, /Access-Control-/i, path);
    }
  });

  it('with --cors, lets that origin read /status and the stream, and no other', async () => {
    for (const path of ['/status', '/live.mkv']) {
      const allowed = headOf(await ask(port, path, 'http://allowed.example:3000'));
      assert.match(allowed, /\r\nAccess-Control-Allow-Origin: http:\/\/allowed\.example:3000\r\n/i, path);
      assert.match(allowed, /\r\nVary: Origin/i, path);
      const other = headOf(await ask(port, path, 'http://evil.example'));
      assert.doesNotMatch(other, /Access-Control-/i, path);
    }
    const preflight = await ask(port, '/live.mkv', 'http://allowed.example:3000', 'OPTIONS');
    assert.equal(statusOf(preflight), 204);
    assert.match(preflight, /Access-Control-Allow-Methods: GET, HEAD/);
    assert.equal(statusOf(await ask(port, '/live.mkv', 'http://evil.example', 'OPTIONS')), 405);
  });

  it('the landing page links to this server, whatever Host the request names', async () => {
    const page = await raw(openPort, 'GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(page), 200);
    assert.doesNotMatch(page, /evil\.example/);
    assert.match(page, new RegExp(`http://127\\.0\\.0\\.1:${openPort}/live\\.mkv`));
    const named = await raw(
      openPort,
      `GET / HTTP/1.1\r\nHost: localhost:${openPort}\r\nConnection: close\r\n\r\n`,
    );
    assert.match(named, new RegExp(`http://localhost:${openPort}/live\\.mkv`), 'our own name is kept');
  });

  it('an address at its per-address cap gets 503 with the reason; another address still gets in', async () => {
    const get = 'GET /live.mkv HTTP/1.1\r\nHost: x\r\n\r\n';
    const hold = [raw(port, get, 800, '127.0.0.2'), raw(port, get, 800, '127.0.0.2')];
    const deadline = Date.now() + 5000;
    while (publisher.viewerCount < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const third = await raw(port, get, 300, '127.0.0.2');
    assert.equal(statusOf(third), 503);
    assert.match(third, /Retry-After: 5/);
    assert.match(third, /127\.0\.0\.2 already watches this stream 2 times, the limit for one address/);
    assert.match(third, /--max-viewers-per-address/);
    assert.equal(statusOf(await raw(port, get, 300, '127.0.0.3')), 200);
    await Promise.all(hold);
    // The places come back when those viewers leave.
    while (publisher.viewerCount > 0 && Date.now() < deadline + 5000)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(statusOf(await raw(port, get, 300, '127.0.0.2')), 200);
  });
});
