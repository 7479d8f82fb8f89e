/**
 * The inputs of `mkvcast serve`, end to end: Matroska and MPEG-TS on stdin, a looped file that a viewer
 * watches across the loop, and the clean end of a file that is not looped. TCP pushes and inputs that
 * change while they run: midstream.test.ts.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { makeMedia, makeRemuxed } from '../support/media.js';
import { childPids, killAll } from '../support/processes.js';
import { exitOf, liveSender } from '../support/senders.js';
import { startServe, type ServeRun } from '../support/serve.js';
import { decode, explain, type Decoded } from '../support/viewers.js';

after(killAll);

/** The viewer's error lines: none, even at the end of the stream (the body is chunked, so it ends cleanly). */
function errorLines(run: Decoded): string[] {
  return run.stderr.split('\n').filter((line) => line.trim());
}

function assertCleanDecode(run: Decoded, minVideoSec: number): void {
  assert.equal(run.code, 0, `the viewer: ${explain(run)}`);
  assert.deepEqual(errorLines(run), [], `the viewer reported errors: ${explain(run)}`);
  const video = run.frames[0];
  assert.ok(video && video.ptsSec.length > 0, 'the viewer decoded video');
  const decodedSec = (video.ptsSec.at(-1) as number) - video.ptsSec[0];
  assert.ok(decodedSec >= minVideoSec, `the viewer decoded ${decodedSec.toFixed(2)} s of video`);
}

/** The viewer watched until the input ended, and the server then exited 0 on its own. */
async function assertCleanEnd(server: ServeRun, run: Decoded): Promise<void> {
  const exit = await Promise.race([
    server.exited,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000).unref()),
  ]);
  assert.deepEqual(exit, { code: 0, signal: null }, `mkvcast after the input ended: ${server.stderr()}`);
  assert.match(server.stderr(), /The input ended/);
  assert.equal(run.code, 0, explain(run));
}

test(
  'Matroska piped into `serve -` is served as is, and its end ends the viewers and the server',
  { timeout: 60_000 },
  async () => {
    const sender = liveSender(await makeMedia('h264-aac', { seconds: 6 }), 'matroska', '-');
    const server = await startServe(['-'], { stdin: 'pipe', feed: (stdin) => sender.stdout?.pipe(stdin) });
    try {
      await server.waitLive();
      const status = await server.status();
      assert.equal(status.input, 'stdin');
      assert.equal(status.docType, 'matroska');
      assert.deepEqual(childPids(server.pid), [], 'Matroska on stdin needs no ffmpeg');

      // No -t: the viewer reads until the stream ends.
      const run = await decode(server.url);
      assertCleanDecode(run, 2);
      assert.deepEqual(await exitOf(sender), { code: 0, signal: null });
      await assertCleanEnd(server, run);
    } finally {
      sender.kill('SIGKILL');
      await server.stop();
    }
  },
);

test('MPEG-TS piped into `serve -` goes through ffmpeg and plays', { timeout: 60_000 }, async () => {
  const sender = liveSender(await makeMedia('h264-aac', { seconds: 6 }), 'mpegts', '-');
  const server = await startServe(['-'], { stdin: 'pipe', feed: (stdin) => sender.stdout?.pipe(stdin) });
  try {
    const status = await server.waitLive();
    assert.deepEqual(
      status.tracks.map((t) => `${t.kind} ${t.codec}`),
      ['video h264', 'audio aac'],
    );
    assert.equal(childPids(server.pid).length, 1, 'one ffmpeg remuxes the MPEG-TS');

    const run = await decode(server.url);
    assertCleanDecode(run, 2);
    await assertCleanEnd(server, run);
  } finally {
    sender.kill('SIGKILL');
    await server.stop();
  }
});

test(
  'an MPEG-TS file plays with its video copied and its ADTS AAC audio encoded again',
  { timeout: 60_000 },
  async () => {
    const server = await startServe([await makeRemuxed('h264-aac', 'mpegts', { seconds: 4 }), '--loop']);
    try {
      const status = await server.waitLive();
      assert.deepEqual(
        status.tracks.map((t) => `${t.kind} ${t.codec}`),
        ['video h264', 'audio aac'],
      );
      const run = await decode(server.url, { seconds: 2 });
      assertCleanDecode(run, 1.5);
      assert.ok((run.frames[1]?.ptsSec.length ?? 0) > 50, 'the viewer decoded audio');
    } finally {
      await server.stop();
    }
  },
);

test(
  'a looped file keeps its viewer connected across the loop with increasing timestamps',
  { timeout: 60_000 },
  async () => {
    const server = await startServe([await makeMedia('h264-aac', { seconds: 2 }), '--loop']);
    try {
      await server.waitLive();
      // 5 s of a 2 s file: at least two loops, on one connection (ffmpeg does not reconnect).
      const run = await decode(server.url, { seconds: 5 });
      assertCleanDecode(run, 4.5);
      for (const stream of run.frames) {
        const backwards = stream.ptsSec.findIndex((pts, i) => i > 0 && pts <= stream.ptsSec[i - 1]);
        assert.equal(backwards, -1, `stream ${stream.index} timestamps go back at frame ${backwards}`);
      }
      assert.ok((run.frames[1]?.ptsSec.at(-1) ?? 0) >= 4.5, 'the audio continues across the loop too');
    } finally {
      await server.stop();
    }
  },
);

test(
  'when a file that is not looped ends, its viewer gets a clean end and mkvcast exits 0',
  { timeout: 60_000 },
  async () => {
    // Longer than the 3 s mkvcast reads ahead at once, so that the viewer joins a stream still running.
    const server = await startServe([await makeMedia('h264-aac', { seconds: 6 })]);
    try {
      await server.waitLive();
      const run = await decode(server.url);
      assertCleanDecode(run, 1);
      await assertCleanEnd(server, run);
      assert.equal(run.stderr, '', `ffmpeg logs nothing at the end of the HTTP body: ${explain(run)}`);
    } finally {
      await server.stop();
    }
  },
);
