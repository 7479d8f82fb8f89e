/**
 * `mkvcast serve` with many real viewers: ffmpeg and ffprobe decoding the link at once, joining
 * mid-stream, listed in /status, and one that stops reading without holding back the others.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { makeMedia, type MediaKind } from '../support/media.js';
import { killAll, waitFor } from '../support/processes.js';
import { startServe } from '../support/serve.js';
import {
  decode,
  explain,
  firstPackets,
  responseHead,
  stalledViewer,
  type Decoded,
} from '../support/viewers.js';

after(killAll);

function assertCleanDecode(run: Decoded, who: string, minVideoFrames: number, minAudioFrames: number): void {
  assert.equal(run.code, 0, `${who}: ${explain(run)}`);
  assert.equal(run.stderr, '', `${who} reported errors: ${explain(run)}`);
  const [first, second] = run.frames;
  const counts = run.frames.map((s) => s.ptsSec.length);
  if (minVideoFrames > 0) {
    // framecrc lists the video stream first when there is one.
    assert.ok(first && first.ptsSec.length >= minVideoFrames, `${who} decoded video frames ${counts}`);
    assert.ok(second && second.ptsSec.length >= minAudioFrames, `${who} decoded audio frames ${counts}`);
  } else {
    assert.ok(first && first.ptsSec.length >= minAudioFrames, `${who} decoded audio frames ${counts}`);
  }
}

const CODECS: { label: string; kind: MediaKind; contentType: string; video: boolean }[] = [
  { label: 'H.264 + AAC in Matroska', kind: 'h264-aac', contentType: 'video/x-matroska', video: true },
  { label: 'VP9 + Opus in WebM', kind: 'vp9-opus', contentType: 'video/webm', video: true },
  { label: 'Opus audio only in WebM', kind: 'opus-only', contentType: 'video/webm', video: false },
];

for (const { label, kind, contentType, video } of CODECS) {
  test(`${label}: 8 ffmpeg viewers at once all decode 2 s without errors`, { timeout: 60_000 }, async () => {
    const server = await startServe([await makeMedia(kind, { seconds: 4 }), '--loop']);
    try {
      await server.waitLive();
      const head = await responseHead(server.url);
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-type'], contentType);
      assert.equal(head.headers['cache-control'], 'no-store');
      assert.equal(head.headers['content-length'], undefined);

      const viewers = Promise.all(Array.from({ length: 8 }, () => decode(server.url, { seconds: 2 })));
      await waitFor('8 viewers at once in /status', async () => (await server.status()).viewers.length === 8);
      const runs = await viewers;
      // 2 s at 30 fps is 60 frames; Opus frames are 20 ms, so 100 of them (some slack for the cut).
      runs.forEach((run, i) => assertCleanDecode(run, `viewer ${i + 1}`, video ? 50 : 0, 80));
    } finally {
      await server.stop();
    }
  });
}

test(
  'a viewer joining mid-stream decodes its first frame cleanly and its timestamps start at 0',
  { timeout: 60_000 },
  async () => {
    const server = await startServe([await makeMedia('h264-aac', { seconds: 4 }), '--loop']);
    try {
      await server.waitLive();
      // Well into the stream (and past the first loop of the file): the stream's own time is > 4 s here.
      await waitFor('the stream to run 3 s', async () => (await server.status()).uptimeSec >= 3, {
        timeoutMs: 10_000,
      });

      const firstFrame = await decode(server.url, { videoFrames: 1 });
      assert.equal(firstFrame.code, 0, explain(firstFrame));
      assert.equal(firstFrame.stderr, '', `the first frame did not decode cleanly: ${explain(firstFrame)}`);
      assert.equal(firstFrame.frames[0]?.ptsSec.length, 1);

      const { packets, run } = await firstPackets(server.url, 40);
      assert.equal(run.code, 0, explain(run));
      assert.equal(run.stderr, '', explain(run));
      const videoPackets = packets.filter((p) => p.codecType === 'video');
      const audioPackets = packets.filter((p) => p.codecType === 'audio');
      assert.ok(videoPackets.length > 0 && audioPackets.length > 0, `packets: ${JSON.stringify(packets)}`);
      assert.ok(videoPackets[0].keyframe, 'the first video packet is a keyframe');
      for (const [what, list] of [
        ['video', videoPackets],
        ['audio', audioPackets],
      ] as const) {
        const firstPts = list[0].ptsSec;
        assert.ok(firstPts >= 0 && firstPts < 0.1, `the first ${what} pts is ${firstPts} s, not near 0`);
      }
    } finally {
      await server.stop();
    }
  },
);

test(
  '/status lists 3 connected ffmpeg viewers with their address and growing bytes, then none',
  { timeout: 60_000 },
  async () => {
    const server = await startServe([await makeMedia('h264-aac', { seconds: 4 }), '--loop']);
    try {
      await server.waitLive();
      const viewers = Promise.all(Array.from({ length: 3 }, () => decode(server.url, { seconds: 4 })));
      const first = await waitFor('3 viewers in /status', async () => {
        const s = await server.status();
        return s.viewers.length === 3 && s;
      });
      for (const viewer of first.viewers) {
        assert.equal(viewer.client, 'ffmpeg');
        assert.equal(viewer.address, '127.0.0.1');
        assert.match(viewer.userAgent, /^Lavf\//);
        assert.ok(viewer.bytesSent > 0, `viewer ${viewer.id} has been sent ${viewer.bytesSent} bytes`);
        assert.equal(viewer.skips, 0);
      }
      assert.equal(new Set(first.viewers.map((v) => v.id)).size, 3, 'each viewer has its own id');
      const before = new Map(first.viewers.map((v) => [v.id, v.bytesSent]));
      await waitFor('every viewer to be sent more bytes', async () => {
        const s = await server.status();
        return s.viewers.length === 3 && s.viewers.every((v) => v.bytesSent > (before.get(v.id) ?? Infinity));
      });

      const runs = await viewers;
      runs.forEach((run, i) => assertCleanDecode(run, `viewer ${i + 1}`, 100, 100));
      const last = await waitFor('the viewers to leave /status', async () => {
        const s = await server.status();
        return s.viewers.length === 0 && s;
      });
      assert.equal(last.dropped, 0);
    } finally {
      await server.stop();
    }
  },
);

test(
  'a viewer that stops reading is skipped and dropped while 2 others decode in real time',
  { timeout: 60_000 },
  async () => {
    // Several Mbit/s, so that the stalled viewer's socket buffers (a few MB on loopback) fill within seconds.
    const media = await makeMedia('h264-aac', { seconds: 4, width: 640, height: 360, bitrateKbps: 8000 });
    const server = await startServe([media, '--loop', '--max-lag', '0.5']);
    const stalled = await stalledViewer(server.url, 'stalled-test/1.0');
    try {
      await server.waitLive();
      const stalledId = (
        await waitFor('the stalled viewer in /status', async () => {
          const s = await server.status();
          return s.viewers.find((v) => v.client === 'stalled-test');
        })
      ).id;

      // Watch /status from here on: the stalled viewer's lag and skips, then its disappearance.
      let lagging = false;
      let maxSkips = 0;
      let gone = false;
      const watcher = (async () => {
        const deadline = Date.now() + 30_000;
        while (!gone && Date.now() < deadline) {
          const s = await server.status();
          const v = s.viewers.find((x) => x.id === stalledId);
          if (v) {
            lagging ||= v.lagMs > 0 || v.skips > 0;
            maxSkips = Math.max(maxSkips, v.skips);
          } else gone = true;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      // The others start once the stalled viewer's buffers are full and its queue is growing.
      await waitFor('the stalled viewer to fall behind', () => lagging || gone, { timeoutMs: 20_000 });

      const runs = await Promise.all([
        decode(server.url, { seconds: 4 }),
        decode(server.url, { seconds: 4 }),
      ]);
      runs.forEach((run, i) => {
        assertCleanDecode(run, `viewer ${i + 1}`, 100, 100);
        // Real time is 4 s; a viewer held back by the stalled one would take far longer.
        assert.ok(run.wallMs < 6500, `viewer ${i + 1} took ${Math.round(run.wallMs)} ms to decode 4 s`);
      });

      await watcher;
      assert.ok(gone, 'the stalled viewer was dropped');
      assert.ok(maxSkips > 0, 'the stalled viewer was skipped to a keyframe before being dropped');
      const s = await server.status();
      assert.equal(s.dropped, 1);
    } finally {
      stalled.destroy();
      await server.stop();
    }
  },
);
