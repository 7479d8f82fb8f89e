import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { FfmpegError } from './errors.js';
import { remuxArgs, URL_INPUT_PROTOCOLS } from './remux.js';
import { runRemux } from './remux-run.js';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';

/** Runs the remux of `url` to its end; the bytes it gave and the error it threw. */
async function remuxOf(url: string, networkOnly: boolean): Promise<{ bytes: number; error: unknown }> {
  let bytes = 0;
  try {
    for await (const chunk of runRemux(FFMPEG, url, {
      what: url,
      signal: new AbortController().signal,
      networkOnly,
    })) {
      bytes += chunk.length;
    }
    return { bytes, error: null };
  } catch (error) {
    return { bytes, error };
  }
}

describe('URL inputs open network protocols only', () => {
  let dir = '';
  let local = '';
  let server: Server;
  let base = '';

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mkvcast-protocols-'));
    // A local media file (an allowed HLS segment extension): what a hostile playlist would make us serve.
    local = path.join(dir, 'private.ts');
    await promisify(execFile)(FFMPEG, [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x120:rate=10',
      '-t',
      '1',
      '-c:v',
      'libx264',
      '-f',
      'mpegts',
      local,
    ]);
    const playlist = (segment: string): string =>
      `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n${segment}\n#EXT-X-ENDLIST\n`;
    const segment = await readFile(local);
    // The same segment encrypted as HLS AES-128 does it (CBC, PKCS#7), with its key served over HTTP.
    const key = randomBytes(16);
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-128-cbc', key, iv);
    const encrypted = Buffer.concat([cipher.update(segment), cipher.final()]);
    const answers: Record<string, (res: import('node:http').ServerResponse) => void> = {
      '/segment.ts': (res) => res.end(segment),
      '/secret-segment.ts': (res) => res.end(encrypted),
      '/key.bin': (res) => res.end(key),
      '/plain.m3u8': (res) => res.end(playlist('segment.ts')),
      '/encrypted.m3u8': (res) =>
        res.end(
          playlist('secret-segment.ts').replace(
            '#EXTINF',
            `#EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x${iv.toString('hex')}\n#EXTINF`,
          ),
        ),
      '/to-file': (res) => res.writeHead(302, { Location: `file://${local}` }).end(),
      '/to-concat': (res) => res.writeHead(302, { Location: `concat:${local}|${local}` }).end(),
      '/to-subfile': (res) => res.writeHead(302, { Location: `subfile,,start,0,end,0,,:${local}` }).end(),
      '/file.m3u8': (res) => res.end(playlist(`file://${local}`)),
      '/subfile.m3u8': (res) => res.end(playlist(`subfile,,start,0,end,0,,:${local}`)),
      '/concat.m3u8': (res) => res.end(playlist(`concat:${local}|${local}`)),
    };
    server = createServer((req, res) => (answers[req.url ?? ''] ?? ((r) => r.writeHead(404).end()))(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('passes -protocol_whitelist with network protocols only, for URL inputs only', () => {
    const args = remuxArgs('https://cam/x', { networkOnly: true });
    const list: string[] = args[args.indexOf('-protocol_whitelist') + 1].split(',');
    assert.equal(list.join(','), URL_INPUT_PROTOCOLS.join(','));
    for (const local of ['file', 'pipe', 'concat', 'concatf', 'subfile', 'cache', 'unix']) {
      assert.ok(!list.includes(local), `${local} is not allowed`);
    }
    assert.ok(!remuxArgs('demo.mp4').includes('-protocol_whitelist'), 'a file input opens its file');
    assert.ok(!remuxArgs('pipe:0', { fromStdin: true, networkOnly: true }).includes('-protocol_whitelist'));
  });

  it('an HLS playlist whose segment is a local file, subfile or concat is refused, saying why', async () => {
    for (const name of ['file', 'subfile', 'concat']) {
      const url = `hls+http://${base}/${name}.m3u8`;
      const { bytes, error } = await remuxOf(url, true);
      assert.equal(bytes, 0, `nothing of the local file comes out (${name})`);
      assert.ok(error instanceof FfmpegError, `${name}: ${String(error)}`);
      if (name !== 'concat') {
        // concat never reaches the protocol check: ffmpeg's hls protocol cannot parse the segment line.
        assert.equal(error.code, 'PROTOCOL_REFUSED', `${name}: ${error.message}`);
        assert.match(
          error.message,
          new RegExp(`sent ffmpeg to a '${name}:' address .* network protocols only`),
        );
      }
    }
  });

  it('without the list, ffmpeg would read that local file (the test above can fail)', async () => {
    const { bytes, error } = await remuxOf(`hls+http://${base}/file.m3u8`, false);
    assert.equal(error, null);
    assert.ok(bytes > 1000, `ffmpeg's default serves the local file (${bytes} bytes)`);
  });

  it('HLS over HTTP still plays with the list, plain and AES-128 encrypted', async () => {
    for (const name of ['plain', 'encrypted']) {
      const { bytes, error } = await remuxOf(`http://${base}/${name}.m3u8`, true);
      assert.equal(error, null, `${name}: ${String(error)}`);
      assert.ok(bytes > 1000, `${name}: ${bytes} bytes of Matroska`);
    }
  });

  it('an HTTP redirect to file:, concat: or subfile: is refused and nothing comes out', async () => {
    for (const target of ['to-file', 'to-concat', 'to-subfile']) {
      const { bytes, error } = await remuxOf(`http://${base}/${target}`, true);
      assert.equal(bytes, 0, target);
      assert.ok(error instanceof FfmpegError, `${target}: ${String(error)}`);
      assert.match(
        error.message,
        new RegExp(`^ffmpeg could not read http://${base}/${target}|sent ffmpeg to a`),
      );
    }
  });
});
