/**
 * Inputs that change while they run, end to end through the real CLI, with ffmpeg viewers: a stall and
 * a second EBML header with the same tracks (spliced), new tracks (viewers' streams end, new viewers get
 * the new header), a TCP pusher that goes away and comes back, one that hangs without closing and is
 * taken over, and a pusher that sends garbage.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { after, test } from 'node:test';
import { PUSH_TAKEOVER_MS } from '../server/input/push-slot.js';
import { makeMedia } from '../support/media.js';
import { killAll, waitFor } from '../support/processes.js';
import { freePort } from '../support/ports.js';
import { exitOf, liveSender } from '../support/senders.js';
import { startServe } from '../support/serve.js';
import { decode, explain, videoSize, type Decoded } from '../support/viewers.js';

after(killAll);

const SMALL = { seconds: 3, width: 320, height: 240, fps: 15 } as const;

/** Pipes `sender`'s stdout into the server's stdin; `last` closes stdin when the sender is done. */
function feed(stdin: NodeJS.WritableStream, sender: ChildProcess, last: boolean): Promise<void> {
  sender.stdout?.pipe(stdin, { end: last });
  return exitOf(sender).then((exit) => assert.deepEqual(exit, { code: 0, signal: null }, 'the sender'));
}

/** The video the viewer decoded, in seconds, after checking it decoded cleanly with time going forward. */
function cleanVideoSeconds(run: Decoded): number {
  assert.equal(run.code, 0, `the viewer: ${explain(run)}`);
  assert.equal(run.stderr.trim(), '', `the viewer reported errors: ${explain(run)}`);
  const video = run.frames[0];
  assert.ok(video && video.ptsSec.length > 0, 'the viewer decoded video');
  const backwards = video.ptsSec.findIndex((pts, i) => i > 0 && pts <= video.ptsSec[i - 1]);
  assert.equal(backwards, -1, `video timestamps go back at frame ${backwards}`);
  return (video.ptsSec.at(-1) as number) - video.ptsSec[0];
}

test(
  'stdin stalls, then sends a second Matroska stream with the same tracks: viewers wait, then go on, spliced',
  { timeout: 90_000 },
  async () => {
    const file = await makeMedia('h264-aac', SMALL);
    let first: Promise<void> = Promise.resolve();
    const server = await startServe(['-'], {
      stdin: 'pipe',
      feed: (stdin) => (first = feed(stdin, liveSender(file, 'matroska', '-'), false)),
    });
    try {
      await server.waitLive();
      const viewer = decode(server.url, { timeoutMs: 60_000 });
      await first;
      // The input stays open but sends nothing: stalled after 5 s, with a message.
      await waitFor('the stall to show in /status', async () => (await server.status()).state === 'stalled', {
        timeoutMs: 10_000,
      });
      assert.match(server.stderr(), /Nothing has come from stdin for \d+ s; viewers stay connected/);
      assert.equal((await server.status()).viewers.length, 1, 'the viewer is still connected');

      // Another run of the same encoder: a second EBML header with the same tracks.
      await feed(server.child.stdin as NodeJS.WritableStream, liveSender(file, 'matroska', '-'), true);
      assert.match(server.stderr(), /stdin is sending again, after \d+\.\d s\./);
      assert.doesNotMatch(server.stderr(), /tracks changed/);
      const run = await viewer;
      assert.ok(cleanVideoSeconds(run) >= 4, 'the viewer saw both runs on one connection');
      assert.deepEqual(await server.exited, { code: 0, signal: null });
    } finally {
      await server.stop();
    }
  },
);

test(
  'new tracks mid-stream: viewers get a clean end and a message, new viewers get the new header',
  { timeout: 90_000 },
  async () => {
    const small = await makeMedia('h264-aac', SMALL);
    const large = await makeMedia('h264-aac', { ...SMALL, seconds: 6, width: 640, height: 360 });
    let first: Promise<void> = Promise.resolve();
    const server = await startServe(['-'], {
      stdin: 'pipe',
      feed: (stdin) => (first = feed(stdin, liveSender(small, 'matroska', '-'), false)),
    });
    try {
      await server.waitLive();
      const before = decode(server.url, { timeoutMs: 60_000 });
      await first;
      const second = feed(
        server.child.stdin as NodeJS.WritableStream,
        liveSender(large, 'matroska', '-'),
        true,
      );
      const run = await before;
      // The old viewer's stream ended cleanly at the change, with only the old picture size in it.
      const seconds = cleanVideoSeconds(run);
      assert.ok(seconds > 1 && seconds < 4, `the old viewer saw the first stream only (${seconds} s)`);
      assert.match(
        server.stderr(),
        /The input's tracks changed: 1 viewer\(s\) got the end of the old stream/,
      );
      assert.equal(await videoSize(server.url, 20_000), '640,360', 'a new viewer gets the new tracks');
      const status = await server.status();
      assert.equal(status.state, 'live');
      await second;
      assert.deepEqual(await server.exited, { code: 0, signal: null });
    } finally {
      await server.stop();
    }
  },
);

test(
  'a TCP pusher killed mid-stream comes back: the server waits for it, and the same viewer goes on',
  { timeout: 90_000 },
  async () => {
    const file = await makeMedia('h264-aac', { ...SMALL, seconds: 6 });
    const port = await freePort();
    const server = await startServe([`tcp://127.0.0.1:${port}`]);
    const senders: ChildProcess[] = [];
    try {
      senders.push(liveSender(file, 'matroska', `tcp://127.0.0.1:${port}`));
      await server.waitLive();
      const viewer = decode(server.url, { timeoutMs: 60_000 });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      senders[0].kill('SIGKILL');
      await waitFor(
        'the server to wait for the pusher',
        async () => (await server.status()).state === 'waiting',
        {
          timeoutMs: 10_000,
        },
      );
      assert.match(
        server.stderr(),
        /The pusher on tcp:\/\/127\.0\.0\.1:\d+ went away.*; waiting for it to come back/,
      );
      assert.equal((await server.status()).viewers.length, 1, 'the viewer stays connected');

      senders.push(liveSender(file, 'matroska', `tcp://127.0.0.1:${port}`));
      await waitFor('live again', async () => (await server.status()).state === 'live', {
        timeoutMs: 10_000,
      });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await server.stop('SIGINT');
      const seconds = cleanVideoSeconds(await viewer);
      assert.ok(seconds >= 3.5, `the viewer saw both pushes on one connection (${seconds} s)`);
    } finally {
      for (const sender of senders) sender.kill('SIGKILL');
      await server.stop();
    }
  },
);

test(
  'TCP: garbage is dropped, a pusher that hangs without closing is taken over, a busy pusher is kept',
  { timeout: 90_000 },
  async () => {
    const file = await makeMedia('h264-aac', { ...SMALL, seconds: 6 });
    const port = await freePort();
    const server = await startServe([`tcp://127.0.0.1:${port}`]);
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
        socket.on('error', reject);
      });
    const closed = (socket: Socket): Promise<void> =>
      new Promise((resolve) => socket.once('close', () => resolve()));
    const sockets: Socket[] = [];
    let sender: ChildProcess | null = null;
    try {
      // Not media at all: ffmpeg cannot read it, the push is dropped, the server waits on.
      const garbage = await open();
      sockets.push(garbage);
      garbage.end(Buffer.alloc(64 * 1024, 0x5a));
      await waitFor(
        'the garbage push to be dropped',
        () => /A push to tcp:.* was dropped: /.test(server.stderr()),
        {
          timeoutMs: 20_000,
        },
      );
      assert.equal((await server.status()).state, 'waiting');

      // Two thirds of a stream at once, then silence on an open connection (a pusher whose network went).
      const bytes = await readFile(file);
      const hung = await open();
      sockets.push(hung);
      hung.write(bytes.subarray(0, Math.floor((bytes.length * 2) / 3)));
      await server.waitLive();
      const hungClosed = closed(hung);

      // Once it has delivered no complete cluster for PUSH_TAKEOVER_MS, a new pusher takes over.
      await new Promise((resolve) => setTimeout(resolve, PUSH_TAKEOVER_MS + 500));
      sender = liveSender(file, 'matroska', `tcp://127.0.0.1:${port}`);
      await hungClosed;
      await waitFor(
        'the new pusher to be read',
        () => /went away in the middle of a frame/.test(server.stderr()),
        {
          timeoutMs: 10_000,
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // While it sends, nobody else can push.
      const intruder = await open();
      sockets.push(intruder);
      await closed(intruder);
      assert.equal((await server.status()).state, 'live');
      const run = await decode(server.url, { seconds: 1, timeoutMs: 20_000 });
      assert.ok(cleanVideoSeconds(run) > 0.5, 'the stream from the new pusher plays');
    } finally {
      for (const socket of sockets) socket.destroy();
      sender?.kill('SIGKILL');
      await server.stop();
    }
  },
);
