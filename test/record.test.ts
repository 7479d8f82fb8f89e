/**
 * `--record FILE` for real: a shared Xvfb screen recorded through a spliced encoder restart and a
 * screen size change, finished on stop (ffprobe's duration, a clean decode, a seek to the middle);
 * `mkvcast demo --record` killed with SIGKILL; a recording on a full disk (a small tmpfs).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it, type TestContext } from 'node:test';
import { demoSource } from '../server/input/demo.js';
import { ServeService } from '../server/serve.js';
import { SharingSession } from '../server/session/session.js';
import { DEFAULT_SETTINGS } from '../server/settings.js';
import { breakEncoder } from '../support/encoder-faults.js';
import { ffmpegPath, runFfprobe } from '../support/media.js';
import { freePort } from '../support/ports.js';
import { killAll, runToExit, waitFor } from '../support/processes.js';
import { MKVCAST_BIN, runCli, startServe } from '../support/serve.js';
import { tapStream } from '../support/stream-tap.js';
import { decode, explain, parseFramecrc } from '../support/viewers.js';
import { startXvfb, type Xvfb } from '../support/xvfb.js';

const run = promisify(execFile);

/** Seconds recorded before the encoder is killed, and in all before the screen size changes. */
const SPLICE_AT_SEC = 8;
const RESIZE_AT_SEC = 20;

async function durationSec(file: string): Promise<number> {
  const probe = await runFfprobe(['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
  return Number(probe.stdout.toString().trim());
}

async function videoSize(file: string): Promise<string> {
  const probe = await runFfprobe([
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height',
    '-of',
    'csv=p=0:s=x',
    file,
  ]);
  return probe.stdout.toString().trim();
}

/** Whether the file holds a Cues element (ID 0x1C53BB6B, Matroska §5.1.5): players can seek with it. */
async function hasCues(file: string): Promise<boolean> {
  return (await readFile(file)).includes(Buffer.from([0x1c, 0x53, 0xbb, 0x6b]));
}

const elapsedSec = (fromMs: number): number => (performance.now() - fromMs) / 1000;

/** A tmpfs of `size` mounted under `dir`, or null (the test skipped) where it cannot be (not root). */
async function smallDisk(dir: string, name: string, size: string, t: TestContext): Promise<string | null> {
  const mount = path.join(dir, name);
  await mkdir(mount);
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mount]);
    return mount;
  } catch (error) {
    t.skip(`a small tmpfs cannot be mounted here (needs root): ${(error as Error).message}`);
    return null;
  }
}

/** serve of the demo recording to `file`; notices collected, a problem marked "problem: " (the CLI prints those even with --quiet). */
function recordingDemo(file: string, notices: string[]): ServeService {
  return new ServeService({
    input: undefined,
    source: demoSource,
    host: '127.0.0.1',
    port: 0,
    maxViewers: 8,
    maxLagMs: 2000,
    fastStartSegments: 0,
    token: null,
    loop: false,
    record: file,
    onNotice: (m, problem) => notices.push(problem ? `problem: ${m}` : m),
  });
}

describe('recording while sharing', { timeout: 90_000 }, () => {
  let dir: string;
  let xvfb: Xvfb;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mkvcast-record-'));
    xvfb = await startXvfb([{ width: 400, height: 300 }]);
    await xvfb.paint('#2080c0');
  });
  after(async () => {
    await killAll();
    await xvfb.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a ~20 s share is recorded whole through an encoder restart; a new screen size starts talk-2.mkv', async (t) => {
    const file = path.join(dir, 'talk.mkv');
    const notices: string[] = [];
    const session = new SharingSession(
      { ...DEFAULT_SETTINGS, fps: 15, keyframeIntervalSec: 1, host: '127.0.0.1', port: await freePort() },
      {
        display: xvfb.display,
        env: { ...process.env, DISPLAY: xvfb.display },
        record: file,
        onOutputNotice: (m) => notices.push(m),
      },
    );
    try {
      await session.start();
      const liveMs = performance.now();
      await waitFor('the splice point', () => elapsedSec(liveMs) >= SPLICE_AT_SEC, { timeoutMs: 20_000 });
      const recovery = await breakEncoder(session, 'SIGKILL', 15_000);
      assert.equal(session.stats().outputs?.recording?.state, 'recording', 'the recording goes on');
      await waitFor('the resize point', () => elapsedSec(liveMs) >= RESIZE_AT_SEC, { timeoutMs: 30_000 });
      const resizedMs = performance.now();
      await xvfb.setScreenSize(320, 240);
      await waitFor('the second file', () => session.stats().outputs?.recording?.files === 2, {
        timeoutMs: 15_000,
      });
      await waitFor('live again', () => session.state.kind === 'live', { timeoutMs: 15_000 });
      await waitFor('3 s in the second file', () => elapsedSec(resizedMs) >= 3, { timeoutMs: 10_000 });
      // The first file is finished as soon as it ends, while sharing goes on.
      await waitFor('talk.mkv finished', () => notices.some((n) => n === `Recorded ${file}.`), {
        timeoutMs: 10_000,
      });
      // Shared from live to the resize; the encoder's recovery may be missing from the media time (the
      // next run is spliced one frame after the last), so the file holds that, or that less the recovery.
      const sharedSec = (resizedMs - liveMs) / 1000;
      const recoverySec = recovery.recoveryMs / 1000;
      const recordedSec = await durationSec(file);
      t.diagnostic(
        `talk.mkv: ${recordedSec.toFixed(2)} s recorded for ${sharedSec.toFixed(2)} s shared, with an encoder recovery of ${recoverySec.toFixed(2)} s`,
      );
      assert.ok(
        recordedSec >= sharedSec - recoverySec - 1 && recordedSec <= sharedSec + 1,
        `duration ${recordedSec} s for ${sharedSec} s shared (recovery ${recoverySec} s), ± 1 s`,
      );
      assert.ok(await hasCues(file), 'the finished file has Cues');
      const decoded = await decode(file);
      assert.equal(decoded.code, 0, explain(decoded));
      assert.equal(decoded.stderr.trim(), '', 'ffmpeg decodes it with an empty stderr');
      const pts = decoded.frames[0].ptsSec;
      assert.ok(
        pts.every((p, i) => i === 0 || p > pts[i - 1]),
        'the video timestamps only go forward',
      );
      assert.equal(await videoSize(file), '400x300');

      // Seek to the middle as a player does: mpv plays one second from there and exits cleanly.
      const middle = recordedSec / 2;
      const mpv = await runToExit(
        'mpv',
        [
          '--no-config',
          '--vo=null',
          '--ao=null',
          `--start=${middle.toFixed(1)}`,
          '--length=1',
          '--msg-level=all=status',
          file,
        ],
        { timeoutMs: 15_000 },
      );
      assert.equal(mpv.code, 0, mpv.stderr + mpv.stdout.toString());
      const seeked = await runToExit(
        ffmpegPath,
        [
          '-v',
          'error',
          '-ss',
          middle.toFixed(1),
          '-i',
          file,
          '-frames:v',
          '1',
          '-copyts',
          '-f',
          'framecrc',
          '-',
        ],
        { timeoutMs: 15_000 },
      );
      const landedSec = parseFramecrc(seeked.stdout.toString())[0]?.ptsSec[0] ?? NaN;
      assert.equal(seeked.stderr.trim(), '');
      assert.ok(
        Math.abs(landedSec - middle) <= 1.5,
        `seek to ${middle.toFixed(1)} s landed at ${landedSec} s`,
      );

      await session.stop();
      const second = path.join(dir, 'talk-2.mkv');
      assert.equal(await videoSize(second), '320x240', 'the second file has the new screen size');
      const secondSec = await durationSec(second);
      assert.ok(secondSec >= 2, `talk-2.mkv holds ${secondSec} s`);
      assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('talk')).sort(), [
        'talk-2.mkv',
        'talk.mkv',
      ]);
    } finally {
      await session.stop();
    }
  });

  it('kill -9 of mkvcast mid-recording leaves a file that plays to its last cluster', async () => {
    const file = path.join(dir, 'killed.mkv');
    const server = await startServe(['--record', file, '-q'], {
      command: [process.execPath, MKVCAST_BIN, 'demo'],
    });
    await waitFor('300 KB recorded', async () => (await stat(file)).size > 300_000, { timeoutMs: 20_000 });
    await server.stop('SIGKILL');
    const decoded = await decode(file);
    assert.equal(decoded.code, 0, explain(decoded));
    assert.ok(decoded.frames[0].ptsSec.length > 10, `${decoded.frames[0].ptsSec.length} frames decoded`);
  });

  it('an existing file is never overwritten: mkvcast says so and exits before serving', async () => {
    const file = path.join(dir, 'talk.mkv');
    await writeFile(file, 'an earlier recording');
    const result = await runCli(['demo', '--port', '0', '--record', file]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr.trim(),
      `mkvcast: Cannot record to ${file}: it already exists. Pick another file name, or move the old recording away first.`,
    );
    assert.equal(await readFile(file, 'utf8'), 'an earlier recording');
  });

  it('a full disk stops the recording with a message, and serving goes on', async (t) => {
    const mount = await smallDisk(dir, 'small-disk', '256k', t);
    if (!mount) return;
    const notices: string[] = [];
    const service = recordingDemo(path.join(mount, 'full.mkv'), notices);
    try {
      const { port } = await service.start();
      await service.ready;
      const full = await waitFor('the disk-full notice', () => notices.find((n) => /disk is full/.test(n)), {
        timeoutMs: 30_000,
      });
      assert.match(
        full,
        /^problem: Recording to .*full\.mkv stopped: the disk is full \(ENOSPC\)\. Sharing goes on/,
      );
      assert.equal(service.server.status().outputs?.recording?.state, 'failed');
      const tap = await tapStream(`http://127.0.0.1:${port}/live.mkv`);
      await waitFor('a viewer still gets the stream', () => tap.clusters >= 10, { timeoutMs: 10_000 });
      tap.destroy();
      assert.equal(service.streamState, 'live');
    } finally {
      await service.stop();
      await run('umount', [mount]);
    }
  });

  it('a disk with room for the recording but not for the finishing copy: the file is kept as it was, with how to finish it', async (t) => {
    const mount = await smallDisk(dir, 'tight-disk', '2m', t);
    if (!mount) return;
    const file = path.join(mount, 'tight.mkv');
    const notices: string[] = [];
    const service = recordingDemo(file, notices);
    try {
      await service.start();
      await service.ready;
      // Over half of the 2 MB disk, with room to spare for what comes before the stop: the copy cannot fit.
      await waitFor('1.1 MB recorded', async () => (await stat(file)).size > 1_100_000, {
        timeoutMs: 30_000,
      });
      await service.stop();
      const size = (await stat(file)).size;
      t.diagnostic(`recorded ${size} bytes on a 2 MB tmpfs; notices: ${JSON.stringify(notices)}`);
      assert.ok(size < 1_900_000, `the recording itself fitted (${size} bytes)`);
      assert.ok(
        !notices.some((n) => /stopped: the disk is full/.test(n)),
        'the recording did not run out of room',
      );
      assert.ok(!notices.some((n) => n.startsWith('Recorded ')), 'the copy could not be finished');
      const problem = notices.find((n) => n.startsWith(`problem: Could not finish ${file}`));
      assert.ok(problem, `a problem notice (printed by --quiet): ${JSON.stringify(notices)}`);
      assert.match(problem, /no space left on device|disk is full/i, 'it says why');
      assert.ok(
        problem.includes(`ffmpeg -i "${file}" -map 0 -c copy "${path.join(mount, 'tight-finished.mkv')}"`),
        `it gives the command to finish the file by hand: ${problem}`,
      );
      // The live file as written: every byte the recording sent, and it plays.
      assert.equal(size, service.server.status().outputs?.recording?.bytes, 'the file is whole');
      assert.equal(service.server.status().outputs?.recording?.state, 'failed');
      assert.deepEqual(await readdir(mount), ['tight.mkv'], 'no half-written copy is left');
      const decoded = await decode(file);
      assert.equal(decoded.code, 0, explain(decoded));
      assert.equal(decoded.stderr.trim(), '', 'ffmpeg decodes it with an empty stderr');
      assert.ok(decoded.frames[0].ptsSec.length > 10, `${decoded.frames[0].ptsSec.length} frames decoded`);
    } finally {
      await service.stop();
      await run('umount', [mount]);
    }
  });
});
