/**
 * Pushes for real: `share` (an Xvfb screen) pushed to a real Icecast on loopback, watched there by
 * ffmpeg, Icecast killed and started again (the push comes back by itself); one mkvcast pushing into
 * another's ingest; and the upload budget turning the (N+1)th viewer away.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { demoSource } from '../server/input/demo.js';
import { ServeService, type ServeOptions } from '../server/serve.js';
import { SharingSession } from '../server/session/session.js';
import { DEFAULT_SETTINGS } from '../server/settings.js';
import { startIcecast, type Icecast } from '../support/icecast.js';
import { ffmpegPath, runFfmpeg, runFfprobe } from '../support/media.js';
import { freePort } from '../support/ports.js';
import { killAll, runToExit, waitFor } from '../support/processes.js';
import { tapStream } from '../support/stream-tap.js';
import { decode, explain } from '../support/viewers.js';
import { startXvfb, type Xvfb } from '../support/xvfb.js';

const ORANGE = [0xff, 0x80, 0x00];

/** The colour of the middle of the first picture a viewer of `url` decodes. */
async function pictureColour(url: string): Promise<number[]> {
  const run = await runToExit(
    ffmpegPath,
    [
      '-v',
      'error',
      '-i',
      url,
      '-frames:v',
      '1',
      '-vf',
      'scale=1:1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { timeoutMs: 15_000 },
  );
  assert.equal(run.code, 0, explain(run));
  return [...run.stdout.subarray(0, 3)];
}

async function codecs(file: string): Promise<string[]> {
  const probe = await runFfprobe([
    '-v',
    'error',
    '-show_entries',
    'stream=codec_name',
    '-of',
    'csv=p=0',
    file,
  ]);
  return probe.stdout.toString().trim().split('\n');
}

function near(pixel: number[], colour: number[]): boolean {
  return pixel.length === 3 && pixel.every((v, i) => Math.abs(v - colour[i]) < 40);
}

function serveOptions(more: Partial<ServeOptions>): ServeOptions {
  return {
    input: undefined,
    host: '127.0.0.1',
    port: 0,
    maxViewers: 16,
    maxLagMs: 2000,
    fastStartSegments: 0,
    token: null,
    loop: false,
    ...more,
  };
}

describe('pushes and the upload budget', { timeout: 90_000 }, () => {
  let xvfb: Xvfb;
  let icecast: Icecast;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mkvcast-relay-'));
    xvfb = await startXvfb([{ width: 320, height: 240 }]);
    await xvfb.paint('#ff8000');
    icecast = await startIcecast(await freePort());
  });
  after(async () => {
    await icecast.stop();
    await killAll();
    await xvfb.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('share pushes to Icecast, whose listener sees the screen; Icecast killed and started again: the push comes back by itself', async (t) => {
    const notices: string[] = [];
    const session = new SharingSession(
      { ...DEFAULT_SETTINGS, fps: 15, keyframeIntervalSec: 1, host: '127.0.0.1', port: await freePort() },
      {
        display: xvfb.display,
        env: { ...process.env, DISPLAY: xvfb.display },
        pushes: [icecast.pushUrl('screen.mkv')],
        pushBackoffMs: [200, 500, 1000],
        onOutputNotice: (m) => notices.push(m),
      },
    );
    const push = () => session.stats().outputs?.pushes[0];
    try {
      await session.start();
      await waitFor('the push live', () => push()?.state === 'live', { timeoutMs: 15_000 });
      await waitFor('the mount on Icecast', async () =>
        (await icecast.mounts()).some((m) => m.mount === 'screen.mkv'),
      );
      const colour = await pictureColour(icecast.listenUrl('screen.mkv'));
      assert.ok(near(colour, ORANGE), `Icecast's listener sees the screen's orange (got ${colour})`);
      const listener = await decode(icecast.listenUrl('screen.mkv'), { videoFrames: 15 });
      assert.equal(listener.code, 0, explain(listener));
      assert.equal(listener.stderr.trim(), '', 'the listener decodes without a complaint');

      const killedMs = performance.now();
      await icecast.kill();
      await waitFor('the push to notice', () => push()?.state !== 'live', { timeoutMs: 10_000 });
      await icecast.restart();
      await waitFor('the push live again', () => push()?.state === 'live' && (push()?.runs ?? 0) >= 2, {
        timeoutMs: 20_000,
      });
      t.diagnostic(
        `push back ${Math.round(performance.now() - killedMs)} ms after Icecast was killed (runs: ${push()?.runs})`,
      );
      const again = await pictureColour(icecast.listenUrl('screen.mkv'));
      assert.ok(near(again, ORANGE), `the listener sees the screen again (got ${again})`);
      assert.equal(session.state.kind, 'live', 'sharing went on throughout');
      const info = push();
      assert.equal(info?.target, `icecast://127.0.0.1:${icecast.port}/screen.mkv`);
      assert.ok((info?.bitrateKbps ?? 0) > 0, 'the push has a bitrate');
      const shown = JSON.stringify(session.stats()) + notices.join('\n');
      assert.ok(!shown.includes(icecast.sourcePassword), 'the password shows nowhere');
      assert.ok(
        notices.some((n) => n.startsWith(`Push to icecast://127.0.0.1:${icecast.port}/screen.mkv stopped`)),
        notices.join('\n'),
      );
    } finally {
      await session.stop();
    }
  });

  it('one mkvcast pushes into another through its ingest; a viewer of the second decodes the first', async () => {
    const key = 'relaykey-0123456789';
    const second = new ServeService(serveOptions({ ingestKey: key }));
    const { port } = await second.start();
    const first = new ServeService(
      serveOptions({
        source: demoSource,
        pushes: [`http://127.0.0.1:${port}/${key}/ingest`],
        pushBackoffMs: [200],
      }),
    );
    try {
      await first.start();
      await waitFor('the second live', () => second.streamState === 'live', { timeoutMs: 15_000 });
      const viewer = await decode(`http://127.0.0.1:${port}/live.mkv`, { videoFrames: 20 });
      assert.equal(viewer.code, 0, explain(viewer));
      assert.ok(viewer.frames[0].ptsSec.length >= 20, `${viewer.frames[0].ptsSec.length} frames`);
      const status = JSON.stringify(first.server.status());
      assert.ok(!status.includes(key), 'the ingest key is not in /status');
      assert.match(status, new RegExp(`"target": ?"http://127.0.0.1:${port}/…/ingest"`));
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  it('RTMP gets FLV with the video copied and the audio in AAC; SRT gets MPEG-TS copied', async () => {
    const [rtmpPort, srtPort] = [await freePort(), await freePort()];
    const rtmpFile = path.join(dir, 'rtmp.mkv');
    const srtFile = path.join(dir, 'srt.mkv');
    // ffmpeg itself listening, as an RTMP server and an SRT listener would: 2 s of what arrives, copied.
    const receive = (url: string, file: string, listen: string[] = []) =>
      runToExit(
        ffmpegPath,
        ['-v', 'error', ...listen, '-i', url, '-t', '2', '-c', 'copy', '-f', 'matroska', '-y', file],
        {
          timeoutMs: 20_000,
        },
      );
    const rtmp = receive(`rtmp://127.0.0.1:${rtmpPort}/live/streamkey123`, rtmpFile, ['-listen', '1']);
    const srt = receive(`srt://127.0.0.1:${srtPort}?mode=listener`, srtFile);
    const service = new ServeService(
      serveOptions({
        source: demoSource,
        pushes: [`rtmp://127.0.0.1:${rtmpPort}/live/streamkey123`, `srt://127.0.0.1:${srtPort}`],
        pushBackoffMs: [200],
      }),
    );
    try {
      await service.start();
      const [rtmpRun, srtRun] = await Promise.all([rtmp, srt]);
      assert.equal(rtmpRun.code, 0, explain(rtmpRun));
      assert.equal(srtRun.code, 0, explain(srtRun));
      assert.deepEqual(await codecs(rtmpFile), ['h264', 'aac'], 'RTMP: H.264 copied, audio in AAC');
      assert.deepEqual(await codecs(srtFile), ['h264', 'opus'], 'SRT: both copied');
      const pushes = service.server.status().outputs?.pushes ?? [];
      assert.deepEqual(
        pushes.map((p) => p.target),
        [`rtmp://127.0.0.1:${rtmpPort}/live/…`, `srt://127.0.0.1:${srtPort}`],
      );
      assert.ok(!JSON.stringify(pushes).includes('streamkey123'), 'the stream key is not in /status');
    } finally {
      await service.stop();
    }
  });

  it('--max-upload: viewers fill the budget, the next one gets 503 with the reason', async () => {
    // A constant 2 Mbit/s stream (x264 CBR with filler), looped, and a budget of 5 Mbit/s: two copies.
    const file = path.join(dir, 'cbr.mkv');
    await runFfmpeg([
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x360:rate=30',
      '-t',
      '6',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      '30',
      '-b:v',
      '2M',
      '-minrate',
      '2M',
      '-maxrate',
      '2M',
      '-bufsize',
      '1M',
      '-x264-params',
      'nal-hrd=cbr:force-cfr=1',
      '-f',
      'matroska',
      '-y',
      file,
    ]);
    const service = new ServeService(serveOptions({ input: file, loop: true, maxUploadMbit: 5 }));
    const { port } = await service.start();
    const url = `http://127.0.0.1:${port}/live.mkv`;
    const taps = [];
    try {
      // The first seconds of a file go out faster (the lead); then it runs at its own rate.
      await waitFor(
        'the stream at its own rate, about 2 Mbit/s',
        () => {
          const kbps = service.server.status().bitrateKbps;
          return kbps > 1700 && kbps < 2400;
        },
        { timeoutMs: 15_000 },
      );
      taps.push(await tapStream(url), await tapStream(url));
      await waitFor('two copies', () => service.server.status().outputs?.upload.copies === 2);
      const refused = await fetch(url);
      assert.equal(refused.status, 503);
      assert.match(
        await refused.text(),
        /^This stream already sends \d+\.\d Mbit\/s to 2 viewer\(s\) and relay\(s\); one more \(\d\.\d Mbit\/s\) would pass the sharer's upload budget of 5 Mbit\/s\./,
      );
      const upload = service.server.status().outputs?.upload;
      assert.equal(upload?.maxMbitPerSec, 5);
      assert.ok((upload?.mbitPerSec ?? 0) > 3, `upload ${upload?.mbitPerSec} Mbit/s`);
      taps.pop()?.destroy();
      await waitFor('one copy', () => service.server.status().outputs?.upload.copies === 1);
      const admitted = await tapStream(url);
      taps.push(admitted);
      await waitFor('the new viewer gets clusters', () => admitted.clusters > 3);
    } finally {
      for (const tap of taps) tap.destroy();
      await service.stop();
    }
  });
});
