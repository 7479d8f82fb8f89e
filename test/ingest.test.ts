/**
 * HTTP ingest end to end: `mkvcast serve --ingest` fed by a real `ffmpeg … -method PUT`, watched by a real
 * ffmpeg viewer; a wrong key, a second pusher, and a pusher that trickles a byte every 1.5 s to hold the
 * input. Also the warning for a raw TCP input open to the whole network.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, request, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import { PUSH_TAKEOVER_MS } from '../server/input/push-slot.js';
import { ffmpegPath, makeMedia } from '../support/media.js';
import { killAll, spawnTracked, waitFor } from '../support/processes.js';
import { freePort } from '../support/ports.js';
import { liveSender } from '../support/senders.js';
import { runCli, startServe } from '../support/serve.js';
import { decode, explain } from '../support/viewers.js';

after(killAll);

/** A live encoder pushing to `url` with HTTP PUT, as the printed command does (lavfi instead of INPUT). */
function pusher(url: string): ChildProcess {
  return spawnTracked(
    ffmpegPath,
    [
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=15',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-tune',
      'zerolatency',
      '-g',
      '15',
      '-f',
      'matroska',
      '-method',
      'PUT',
      url,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

/** A hand-made push: a chunked PUT whose body the caller writes; resolves with the answer when one comes. */
function rawPush(url: string): {
  req: ClientRequest;
  answer: Promise<{ status: number; body: string; retryAfter?: string }>;
} {
  const req = request(url, { method: 'PUT', headers: { 'Transfer-Encoding': 'chunked' } });
  const answer = new Promise<{ status: number; body: string; retryAfter?: string }>((resolve, reject) => {
    req.on('response', (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => (body += text));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] }),
      );
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  return { req, answer };
}

test(
  'serve --ingest: a keyed PUT from ffmpeg is watched live; a wrong key, a second pusher and a trickler are refused or taken over',
  { timeout: 120_000 },
  async () => {
    const server = await startServe(['--ingest', '--ingest-key', 'test-ingest-key-1']);
    const children: ChildProcess[] = [];
    try {
      const printed = await waitFor('the command to push', () =>
        /ffmpeg -re -i INPUT -c copy -f matroska -method PUT (http:\/\/127\.0\.0\.1:\d+\/test-ingest-key-1\/ingest)/.exec(
          server.stdout(),
        ),
      );
      const ingestUrl = printed[1];
      assert.equal((await server.status()).state, 'waiting');

      // A wrong key is a 404, like any unknown path; the right path with GET is a 405.
      const wrong = rawPush(ingestUrl.replace('test-ingest-key-1', 'test-ingest-key-2'));
      wrong.req.end('x');
      assert.equal((await wrong.answer).status, 404);
      const get = await fetch(ingestUrl);
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'PUT, POST');

      const first = pusher(ingestUrl);
      children.push(first);
      const live = await server.waitLive(20_000);
      assert.equal(live.input, 'HTTP ingest', '/status never shows the key');
      await waitFor('the pusher in the log', () =>
        /A pusher connected to HTTP ingest from 127\.0\.0\.1\./.test(server.stderr()),
      );
      const watched = await decode(server.url, { seconds: 2, timeoutMs: 30_000 });
      assert.equal(watched.code, 0, explain(watched));
      assert.ok(
        (watched.frames[0]?.ptsSec.length ?? 0) >= 20,
        `the viewer decoded the push: ${explain(watched)}`,
      );

      // While the first pusher delivers clusters, another is refused with 409 and the reason.
      const second = rawPush(ingestUrl);
      second.req.write(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]));
      const refused = await second.answer;
      second.req.destroy();
      assert.equal(refused.status, 409);
      assert.match(refused.body, /Another pusher \(from 127\.0\.0\.1\) is sending this stream/);
      assert.ok(Number(refused.retryAfter) >= 1, 'Retry-After says when to try again');
      await waitFor('the refusal in the log', () =>
        /Refused a push from 127\.0\.0\.1: the pusher from 127\.0\.0\.1 is sending/.test(server.stderr()),
      );

      // The first pusher leaves; a trickler comes and sends one byte every 1.5 s, never a whole cluster.
      first.kill('SIGKILL');
      await waitFor('the pusher to be gone', async () => (await server.status()).state === 'waiting', {
        timeoutMs: 15_000,
      });
      await waitFor('the departure in the log', () =>
        /The pusher on HTTP ingest went away.*\(it pushed from 127\.0\.0\.1\)/.test(server.stderr()),
      );
      const trickler = rawPush(ingestUrl);
      const header = Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01]);
      let sent = 0;
      const drip = setInterval(
        () => trickler.req.write(header.subarray(sent % header.length, (sent++ % header.length) + 1)),
        1500,
      );
      let tricklerClosed = false;
      trickler.req.on('close', () => (tricklerClosed = true));
      trickler.answer.catch(() => {}); // its connection is cut: no answer
      try {
        await waitFor(
          'the trickler to be taken in',
          () => /A pusher is back on HTTP ingest/.test(server.stderr()),
          {
            timeoutMs: 10_000,
          },
        );
        // A takeover is allowed once the holder has delivered no complete cluster for PUSH_TAKEOVER_MS.
        await new Promise((resolve) => setTimeout(resolve, PUSH_TAKEOVER_MS + 500));
        const successor = pusher(ingestUrl);
        children.push(successor);
        await waitFor("the trickler's connection to be closed", () => tricklerClosed, { timeoutMs: 15_000 });
        await waitFor(
          'the new pusher to take over',
          () =>
            /delivered no complete cluster for [\d.]+ s: the push from 127\.0\.0\.1 takes over/.test(
              server.stderr(),
            ),
          { timeoutMs: 10_000 },
        );
        await server.waitLive(20_000);
        assert.ok(sent >= 2, 'the trickler was still trickling when it was taken over');
        const again = await decode(server.url, { seconds: 1, timeoutMs: 30_000 });
        assert.ok((again.frames[0]?.ptsSec.length ?? 0) >= 10, `the new push plays: ${explain(again)}`);
        assert.equal(successor.exitCode, null, 'the successor is still pushing');
      } finally {
        clearInterval(drip);
        trickler.req.destroy();
      }
    } finally {
      for (const child of children) child.kill('SIGKILL');
      await server.stop();
    }
  },
);

test(
  'serve --ingest takes no INPUT; --ingest-key goes with --ingest, and with --quiet',
  { timeout: 30_000 },
  async () => {
    const withInput = await runCli(['serve', '--ingest', 'demo.mkv', '--port', '0']);
    assert.equal(withInput.code, 2);
    assert.match(withInput.stderr, /--ingest takes no INPUT/);
    const keyAlone = await runCli(['serve', '--ingest-key', 'abcdefghij', '--port', '0']);
    assert.equal(keyAlone.code, 2);
    assert.match(keyAlone.stderr, /--ingest-key goes with --ingest/);
    const quietRandom = await runCli(['serve', '--ingest', '--quiet', '--port', '0']);
    assert.equal(quietRandom.code, 2);
    assert.match(quietRandom.stderr, /--ingest with --quiet needs --ingest-key VALUE/);
  },
);

test(
  'a raw TCP input on every interface warns that anyone on the network can push to it',
  { timeout: 30_000 },
  async () => {
    const port = await freePort();
    const open = await startServe([`tcp://0.0.0.0:${port}`]);
    try {
      await waitFor('the warning', () =>
        /Warning: tcp:\/\/0\.0\.0\.0:\d+ listens on every interface/.test(open.stderr()),
      );
      assert.match(
        open.stderr(),
        /anyone who can reach this machine can push a stream to your viewers.*--ingest/,
      );
    } finally {
      await open.stop();
    }
    const local = await startServe([`tcp://127.0.0.1:${await freePort()}`]);
    try {
      assert.doesNotMatch(local.stderr(), /Warning/);
    } finally {
      await local.stop();
    }
  },
);

test(
  '/status and the log show a URL input without its password and query, a file by its name',
  { timeout: 60_000 },
  async () => {
    const file = await makeMedia('h264-aac', { seconds: 3, width: 320, height: 240, fps: 15 });
    const bytes = await readFile(file);
    const origin = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'video/x-matroska', 'Content-Length': bytes.length });
      res.end(bytes);
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    const address = origin.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const byUrl = await startServe([
        `http://alice:hunter2@127.0.0.1:${port}/cam/stream.mkv?api_key=SECRETKEY`,
        '--loop',
      ]);
      try {
        const status = await byUrl.waitLive(20_000);
        assert.equal(status.input, `http://127.0.0.1:${port}/cam/stream.mkv`);
        const everything = byUrl.stdout() + byUrl.stderr() + JSON.stringify(status);
        assert.doesNotMatch(everything, /hunter2|SECRETKEY|alice/);
      } finally {
        await byUrl.stop();
      }
      const byFile = await startServe([file, '--loop']);
      try {
        const status = await byFile.waitLive(20_000);
        assert.equal(status.input, `file ${path.basename(file)}`);
        assert.ok(!byFile.stdout().includes(path.dirname(file)), 'the folder is not printed either');
      } finally {
        await byFile.stop();
      }
    } finally {
      origin.closeAllConnections();
      await new Promise<void>((resolve) => origin.close(() => resolve()));
    }
  },
);

test(
  'a raw TCP pusher trickling one byte every 1.5 s does not hold the input: a real pusher takes over',
  { timeout: 60_000 },
  async () => {
    const file = await makeMedia('h264-aac', { seconds: 6, width: 320, height: 240, fps: 15 });
    const port = await freePort();
    const server = await startServe([`tcp://127.0.0.1:${port}`]);
    const trickler = connect({ host: '127.0.0.1', port });
    let tricklerClosed = false;
    trickler.on('close', () => (tricklerClosed = true));
    trickler.on('error', () => {});
    let sent = 0;
    const header = Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01]);
    const drip = setInterval(() => trickler.write(header.subarray(sent % 9, (sent++ % 9) + 1)), 1500);
    let sender: ChildProcess | null = null;
    try {
      await waitFor('the trickler to be taken in', () =>
        /A pusher connected to tcp:\/\/127\.0\.0\.1:\d+ from 127\.0\.0\.1\./.test(server.stderr()),
      );
      await new Promise((resolve) => setTimeout(resolve, PUSH_TAKEOVER_MS + 500));
      assert.equal(tricklerClosed, false, 'nobody closed it before a newcomer came');
      sender = liveSender(file, 'matroska', `tcp://127.0.0.1:${port}`);
      await waitFor("the trickler's connection to be closed", () => tricklerClosed, { timeoutMs: 15_000 });
      await server.waitLive(20_000);
      await waitFor('the takeover in the log', () =>
        /delivered no complete cluster for [\d.]+ s: the push from 127\.0\.0\.1 takes over/.test(
          server.stderr(),
        ),
      );
      assert.ok(sent >= 2, 'it was still trickling');
    } finally {
      clearInterval(drip);
      trickler.destroy();
      sender?.kill('SIGKILL');
      await server.stop();
    }
  },
);
