/**
 * Faults while sharing a real Xvfb screen with a real SharingSession (ffmpeg x11grab + libx264) and
 * real viewers: the encoder killed or hung again and again, the screen resized, the display gone,
 * ffmpeg uninstalled. Each time the session either recovers with its viewers still connected, or ends
 * in a clear error state with nothing left running.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SessionState, UserError } from '../server/api.js';
import { onPath } from '../server/ffmpeg/locate.js';
import { SharingSession, type SessionDeps } from '../server/session/session.js';
import { DEFAULT_SETTINGS } from '../server/settings.js';
import { percentile } from '../support/stats.js';
import { breakEncoder, ffmpegChildren } from '../support/encoder-faults.js';
import { freePort } from '../support/ports.js';
import { isAlive, killAll, waitFor } from '../support/processes.js';
import { tapStream, type StreamTap } from '../support/stream-tap.js';
import { decode, explain } from '../support/viewers.js';
import { startXvfb, type Xvfb } from '../support/xvfb.js';

/** Kills in a row in `npm test`; bench/faults.ts does the same 20 with the default watchdog. */
const KILLS = 20;

async function shareSession(
  xvfb: Xvfb,
  settings: Partial<typeof DEFAULT_SETTINGS> = {},
  deps: Partial<SessionDeps> = {},
): Promise<SharingSession> {
  return new SharingSession(
    {
      ...DEFAULT_SETTINGS,
      fps: 15,
      keyframeIntervalSec: 0.5,
      host: '127.0.0.1',
      port: await freePort(),
      ...settings,
    },
    { display: xvfb.display, env: { ...process.env, DISPLAY: xvfb.display }, ...deps },
  );
}

/** Resolves with the error once the session is in the error state. */
async function errorState(session: SharingSession, timeoutMs = 15_000): Promise<UserError> {
  const state = await waitFor(
    'the error state',
    () => (session.state.kind === 'error' ? session.state : null),
    { timeoutMs, intervalMs: 20 },
  );
  return state.error;
}

/** Whether something can listen on `port` now (nothing else holds it). */
async function portIsFree(port: number): Promise<boolean> {
  const probe = createServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Waits for `count` more clusters on `tap`: the connection is still getting the live stream. */
async function moreClusters(tap: StreamTap, count: number, what: string): Promise<void> {
  const from = tap.clusters;
  await waitFor(`${count} more clusters ${what}`, () => tap.clusters >= from + count, {
    timeoutMs: 10_000,
    intervalMs: 20,
  });
}

function assertNothingRunning(): void {
  assert.deepEqual(ffmpegChildren(), [], 'no ffmpeg is left running');
}

describe(
  'a killed or hung encoder: the session recovers and the same viewer keeps playing',
  { timeout: 150_000 },
  () => {
    let xvfb: Xvfb;
    let session: SharingSession;
    let tap: StreamTap;
    let dir: string;

    before(async () => {
      xvfb = await startXvfb([{ width: 320, height: 240 }]);
      await xvfb.paint('#336699');
      dir = await mkdtemp(path.join(os.tmpdir(), 'mkvcast-faults-'));
      // A short watchdog so that a hung encoder is noticed within the test; the default stays 5 s.
      session = await shareSession(xvfb, {}, { watchdogMs: 1500 });
      await session.start();
      tap = await tapStream(session.links[0].url);
      await moreClusters(tap, 5, 'before the first fault');
    });
    after(async () => {
      await session.stop();
      await killAll();
      await xvfb.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it(`SIGKILL ×${KILLS}: live again each time, one connection gets data throughout and decodes`, async (t) => {
      const viewerId = session.viewers()[0].id;
      const recoveryMs: number[] = [];
      let extraRestarts = 0;
      for (let i = 1; i <= KILLS; i++) {
        const recovery = await breakEncoder(session, 'SIGKILL', 15_000);
        // Restarting, then live. On a loaded machine the new encoder can take longer than this test's
        // 1.5 s watchdog to send its first frame, and is restarted once more: that is the watchdog
        // doing its job, so a further restart is allowed when it says why.
        const kinds = recovery.states.map((s) => s.kind);
        const said = recovery.states.map((s) => JSON.stringify(s)).join(', ');
        assert.equal(kinds[0], 'restarting', `kill ${i}: restarting first (${said})`);
        assert.equal(kinds.at(-1), 'live', `kill ${i}: then live (${said})`);
        assert.ok(
          kinds.slice(1, -1).every((k) => k === 'restarting') && kinds.length <= 4,
          `kill ${i}: at most two more restarts on the way (${said})`,
        );
        extraRestarts += kinds.length - 2;
        if (kinds.length > 2) t.diagnostic(`kill ${i}: ${said}`);
        assert.equal(isAlive(recovery.pid), false);
        recoveryMs.push(recovery.recoveryMs);
        await moreClusters(tap, 3, `after kill ${i}`);
        assert.equal(tap.ended, null, `kill ${i}: the viewer is still connected`);
      }
      t.diagnostic(
        `recovery after SIGKILL ×${KILLS} (kill → live): p50 ${Math.round(percentile(recoveryMs, 0.5))} ms, ` +
          `max ${Math.round(Math.max(...recoveryMs))} ms`,
      );
      assert.equal(session.state.kind, 'live');
      assert.equal(session.stats().restarts, KILLS + extraRestarts);
      assert.deepEqual(
        session.viewers().map((v) => v.id),
        [viewerId],
        'the same viewer, never reconnected',
      );
      assert.equal(tap.headerSizes.length, 1, 'one header: every new encoder was spliced in');

      const file = path.join(dir, 'received.mkv');
      await tap.save(file);
      const decoded = await decode(file);
      assert.equal(decoded.code, 0, explain(decoded));
      assert.equal(decoded.stderr.trim(), '', 'ffmpeg decoded it without a complaint');
      const pts = decoded.frames[0].ptsSec;
      assert.ok(pts.length >= tap.clusters - 2, `${pts.length} frames decoded of ${tap.clusters} clusters`);
      const back = pts.findIndex((p, i) => i > 0 && p <= pts[i - 1]);
      assert.equal(
        back,
        -1,
        `timestamps only go forward (frame ${back}: ${pts[back - 1]} then ${pts[back]})`,
      );
    });

    it('SIGSTOP: the watchdog kills the hung encoder and starts another; no stopped process is left', async (t) => {
      const recoveryMs: number[] = [];
      for (let i = 1; i <= 2; i++) {
        const recovery = await breakEncoder(session, 'SIGSTOP', 15_000);
        const restarting = recovery.states.find((s) => s.kind === 'restarting');
        assert.match(
          restarting?.kind === 'restarting' ? restarting.reason : '',
          /sent nothing for 1\.5 s/,
          'the reason says the encoder hung',
        );
        assert.equal(isAlive(recovery.pid), false, 'the stopped encoder is gone, not left stopped');
        // One reading of /proc: the encoder's state (running or sleeping) can change between two.
        const children = ffmpegChildren();
        assert.deepEqual(
          children.map((c) => c.pid),
          [recovery.newPid],
          'only the new encoder runs',
        );
        assert.notEqual(children[0].state, 'T', 'the new encoder is not stopped');
        recoveryMs.push(recovery.recoveryMs);
        await moreClusters(tap, 3, `after SIGSTOP ${i}`);
      }
      t.diagnostic(
        `recovery after SIGSTOP with a 1.5 s watchdog: p50 ${Math.round(percentile(recoveryMs, 0.5))} ms, ` +
          `max ${Math.round(Math.max(...recoveryMs))} ms`,
      );
      assert.equal(tap.ended, null, 'the viewer is still connected');
    });

    it('stop() ends the viewer cleanly and leaves nothing running', async () => {
      const port = session.port;
      await session.stop();
      assert.equal(await tap.closed, 'end', 'a clean end of stream, not a cut connection');
      assertNothingRunning();
      assert.ok(await portIsFree(port));
    });
  },
);

describe('the screen changes size while sharing (RandR on Xvfb)', { timeout: 60_000 }, () => {
  let xvfb: Xvfb;
  before(async () => {
    xvfb = await startXvfb([{ width: 640, height: 360 }]);
  });
  after(async () => {
    await killAll();
    await xvfb.stop();
  });

  it('smaller, then larger again: captured at each new size, with the reason shown; viewers get a clean end', async (t) => {
    const session = await shareSession(xvfb, { fps: 10 }, { screenPollMs: 300 });
    const states: SessionState[] = [];
    session.on('state', (s: SessionState) => states.push(s));
    try {
      await session.start();
      const url = session.links[0].url;
      const first = await tapStream(url);
      await moreClusters(first, 3, 'at 640x360');
      assert.deepEqual(first.headerSizes, ['640x360']);

      // Smaller: x11grab's capture area no longer fits and ffmpeg stops at once.
      let from = states.length;
      const resizedMs = performance.now();
      await xvfb.setScreenSize(400, 300);
      await waitFor('live at the new size', () => states.slice(from).some((s) => s.kind === 'live'), {
        timeoutMs: 15_000,
      });
      assert.deepEqual(
        states.slice(from).map((s) => (s.kind === 'restarting' ? s.reason : s.kind)),
        ['the screen changed to 400×300', 'live'],
      );
      t.diagnostic(
        `smaller screen → live at the new size in ${Math.round(performance.now() - resizedMs)} ms`,
      );
      assert.equal(
        await first.closed,
        'end',
        'the old viewer got a clean end: its player needs the new header',
      );
      const second = await tapStream(url);
      await moreClusters(second, 3, 'at 400x300');
      assert.deepEqual(second.headerSizes, ['400x300']);

      // Larger again: x11grab would go on capturing the old corner; the screen check restarts it.
      from = states.length;
      await xvfb.setScreenSize(640, 360);
      await waitFor('live at the new size', () => states.slice(from).some((s) => s.kind === 'live'), {
        timeoutMs: 15_000,
      });
      assert.deepEqual(
        states.slice(from).map((s) => (s.kind === 'restarting' ? s.reason : s.kind)),
        ['the screen changed to 640×360', 'live'],
      );
      assert.equal(await second.closed, 'end');
      const third = await tapStream(url);
      await moreClusters(third, 3, 'at 640x360 again');
      assert.deepEqual(third.headerSizes, ['640x360']);
      assert.equal(session.stats().restarts, 0, 'a size change is not counted as an encoder failure');
      third.destroy();
    } finally {
      await session.stop();
    }
    assertNothingRunning();
  });
});

describe('the display goes away while sharing', { timeout: 60_000 }, () => {
  it('error state saying the display is gone and what to do; viewers get a clean end; no ffmpeg, port free', async (t) => {
    const xvfb = await startXvfb([{ width: 320, height: 240 }]);
    const session = await shareSession(xvfb, { fps: 10 });
    try {
      await session.start();
      const port = session.port;
      const pid = session.ffmpegPid as number;
      const tap = await tapStream(session.links[0].url);
      await moreClusters(tap, 3, 'before the display goes');
      const goneMs = performance.now();
      xvfb.process.kill('SIGKILL');
      const error = await errorState(session);
      const noticedMs = performance.now() - goneMs;
      t.diagnostic(`display gone → error state in ${Math.round(noticedMs)} ms`);
      assert.ok(noticedMs < 5000, 'noticed without going through the restart backoff');
      assert.equal(error.code, 'DISPLAY_GONE');
      assert.match(error.message, new RegExp(`display ${xvfb.display} went away`));
      assert.match(error.fix, /Start sharing again/);
      assert.equal(await tap.closed, 'end', 'the viewer got a clean end of stream');
      assert.equal(isAlive(pid), false);
      assertNothingRunning();
      // Nothing serves in the error state: the port is free for the next start.
      assert.equal(session.port, 0);
      assert.ok(await portIsFree(port));
    } finally {
      await session.stop();
      await xvfb.stop();
    }
  });
});

describe('ffmpeg removed while sharing', { timeout: 60_000 }, () => {
  let xvfb: Xvfb;
  let dir: string;
  before(async () => {
    xvfb = await startXvfb([{ width: 320, height: 240 }]);
    dir = await mkdtemp(path.join(os.tmpdir(), 'mkvcast-faults-'));
  });
  after(async () => {
    await killAll();
    await xvfb.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('the restart fails once with "not found at PATH" and how to fix it; no retry loop, nothing left', async () => {
    const system = onPath('ffmpeg', process.env);
    assert.ok(system, 'ffmpeg on PATH');
    const ffmpegPath = path.join(dir, 'ffmpeg');
    await copyFile(system, ffmpegPath);
    const session = await shareSession(xvfb, { fps: 10, ffmpegPath });
    const states: SessionState[] = [];
    session.on('state', (s: SessionState) => states.push(s));
    try {
      await session.start();
      const port = session.port;
      const tap = await tapStream(session.links[0].url);
      await moreClusters(tap, 3, 'before ffmpeg goes');
      await rm(ffmpegPath);
      const from = states.length;
      process.kill(session.ffmpegPid as number, 'SIGKILL');
      const error = await errorState(session);
      assert.equal(error.code, 'FFMPEG_MISSING');
      assert.equal(error.field, 'ffmpegPath');
      assert.match(error.message, new RegExp(`ffmpeg was not found at ${ffmpegPath}`));
      assert.match(error.fix, /ffmpeg path/);
      assert.ok(
        states.slice(from).filter((s) => s.kind === 'restarting').length <= 1,
        `no retry loop: ${states.slice(from).map((s) => s.kind)}`,
      );
      assert.equal(await tap.closed, 'end');
      assertNothingRunning();
      assert.ok(await portIsFree(port));
    } finally {
      await session.stop();
    }
  });
});
