/**
 * What a request can reach, on the real `mkvcast serve`: nothing it names is read from disk (watched
 * with strace), the server listens exactly where it was told and prints that address, and its answers
 * carry nosniff (and the landing page a strict CSP).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exchange } from '../support/abuse-clients.js';
import { makeMedia } from '../support/media.js';
import { killAll, spawnTracked, waitFor } from '../support/processes.js';
import { startServe, type ServeRun } from '../support/serve.js';

after(killAll);

/** The tracer of `pid` (0: none), from /proc. */
function tracerOf(pid: number): number {
  return Number(/^TracerPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

/** Sockets listening on `port`, as `address:port` from /proc/net/tcp and tcp6 (Linux). */
function listeners(port: number): string[] {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || !local) continue; // 0A: LISTEN
      const [hex, portHex] = local.split(':');
      if (parseInt(portHex, 16) !== port) continue;
      // IPv4 addresses are written as one little-endian word.
      const address =
        hex.length === 8
          ? Buffer.from(hex, 'hex').reverse().join('.')
          : hex === '0'.repeat(32)
            ? '::'
            : `ipv6:${hex}`;
      found.push(`${address}:${port}`);
    }
  }
  return found;
}

function connectError(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('what a request can reach', { timeout: 60_000 }, () => {
  let server: ServeRun;
  let media: string;
  before(async () => {
    // Short and looped: ffmpeg opens it again every 2 s, which shows that the trace sees file opens.
    media = await makeMedia('h264-aac', { seconds: 2 });
    server = await startServe([media, '--loop']);
    await server.waitLive();
  });
  after(() => server?.stop());

  it('nothing a request names is read from disk (strace sees every file the server opens)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mkvcast-abuse-'));
    const marker = `mkvcast-secret-${randomBytes(6).toString('hex')}`;
    const secret = path.join(dir, marker);
    await writeFile(secret, 'the contents of a private file\n');
    const trace = path.join(dir, 'trace.txt');
    const strace = spawnTracked(
      'strace',
      ['-f', '-qq', '-e', 'trace=%file', '-o', trace, '-p', String(server.pid)],
      { stdio: 'ignore' },
    );
    try {
      await waitFor('strace to attach', () => tracerOf(server.pid) === strace.pid, { timeoutMs: 10_000 });
      const up = path.relative('/', secret);
      const paths = [
        `/${marker}`,
        `/../../../../../../${up}`,
        `/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/${up}`,
        `/..%2f..%2f..%2f..%2f..%2f${up.replaceAll('/', '%2f')}`,
        `/live.mkv/../../../../../../${up}`,
        `/${marker}/live.mkv`,
        `/status?file=${secret}`,
        `/?src=${secret}`,
        `/live.mkv?${secret}`,
      ];
      for (const p of paths) {
        const got = await exchange(server.port, `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, {
          timeoutMs: 500,
        });
        assert.ok(got.statuses.length === 1, `${p}: ${got.statuses}`);
        assert.doesNotMatch(got.text, /private file/, p);
      }
      // Long enough for the looped input to be opened again (a file open the trace must show).
      await new Promise((resolve) => setTimeout(resolve, 3000));
    } finally {
      strace.kill('SIGINT');
      await new Promise((resolve) => strace.once('close', resolve));
    }
    const traced = await readFile(trace, 'utf8');
    await rm(dir, { recursive: true, force: true });
    assert.match(
      traced,
      new RegExp(path.basename(media).replace(/\./g, '\\.')),
      'the trace shows the input being opened',
    );
    const touching = traced.split('\n').filter((line) => line.includes(marker));
    assert.deepEqual(touching, [], 'no system call named the file a request asked for');
  });

  it('listens exactly where it was told and prints that address', async () => {
    assert.deepEqual(listeners(server.port), [`127.0.0.1:${server.port}`]);
    // The stream link, then the landing page: both on the address it listens on, and no other.
    const links = server.stdout().match(/http:\/\/\S+/g) ?? [];
    assert.deepEqual(links, [server.url, server.page], server.stdout());
    assert.equal(await connectError('127.0.0.2', server.port), 'ECONNREFUSED');
    assert.equal(await connectError('::1', server.port), 'ECONNREFUSED');
  });

  it('every answer says nosniff; the landing page has a CSP that allows nothing it does not need', async () => {
    const ask = (request: string): Promise<string> =>
      exchange(server.port, request, { timeoutMs: 700 }).then((got) => got.heads.join('\n'));
    const heads = {
      landing: await ask('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      status: await ask('GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      stream: await ask('GET /live.mkv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      'stream HEAD': await ask('HEAD /live.mkv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      404: await ask('GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      405: await ask('PUT /live.mkv HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n'),
      416: await ask('GET /live.mkv HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=9-\r\n\r\n'),
      505: await ask('GET /live.mkv HTTP/2.0\r\n\r\n'),
    };
    for (const [what, head] of Object.entries(heads)) {
      assert.match(head, /\r\nX-Content-Type-Options: nosniff\r\n/i, `${what}: ${head}`);
    }
    const csp = /\r\nContent-Security-Policy: ([^\r]*)/i.exec(heads.landing)?.[1] ?? '';
    assert.match(csp, /(^|; )default-src 'none'(;|$)/);
    assert.match(csp, /(^|; )script-src( 'sha256-[A-Za-z0-9+/=]+')+(;|$)/, 'scripts by hash only');
    // The page's WHEP client posts its offer to its own origin, and to nothing else.
    assert.match(csp, /(^|; )connect-src 'self'(;|$)/);
    assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  });
});
