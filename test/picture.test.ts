/**
 * What is shared: a region of the screen, end to end on Xvfb with a real X client window (an xterm with
 * a blue background on a red desktop), a real SharingSession and a real viewer decoding the stream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SessionState } from '../server/api.js';
import { SessionError, SharingSession } from '../server/session/session.js';
import { listX11Windows, pickWindow } from '../server/windows.js';
import { DEFAULT_SETTINGS } from '../server/settings.js';
import { freePort } from '../support/ports.js';
import { killAll, runToExit, spawnTracked, waitFor } from '../support/processes.js';
import { videoSize } from '../support/viewers.js';
import { startXvfb, type Xvfb } from '../support/xvfb.js';
import { averagePixel } from '../support/pixels.js';

const near = (pixel: number[], colour: number[]): boolean =>
  pixel.every((v, i) => Math.abs(v - colour[i]) < 40);

describe('share a region of the screen', { timeout: 60_000 }, () => {
  let xvfb: Xvfb;

  before(async () => {
    xvfb = await startXvfb([{ width: 640, height: 360 }]);
    await xvfb.paint('#ff0000');
    // A blue window over the right half: 80 columns of 7x14 DejaVu Sans Mono are wider than 320 px.
    spawnTracked(
      'xterm',
      [
        '-geometry',
        '80x40+320+0',
        '-bg',
        '#0000ff',
        '-fa',
        'DejaVu Sans Mono',
        '-fs',
        '9',
        '-e',
        'sleep',
        '60',
      ],
      {
        stdio: 'ignore',
        env: { ...process.env, DISPLAY: xvfb.display },
      },
    );
  });
  after(async () => {
    await killAll();
    await xvfb.stop();
  });

  const start = async (region: string, window = ''): Promise<SharingSession> => {
    const session = new SharingSession(
      {
        ...DEFAULT_SETTINGS,
        fps: 15,
        host: '127.0.0.1',
        port: await freePort(),
        token: null,
        region,
        window,
      },
      { display: xvfb.display, env: { ...process.env, DISPLAY: xvfb.display } },
    );
    await session.start();
    return session;
  };

  it('--region WxH+X+Y: viewers get that part only, at its size (the blue window, not the red desktop)', async () => {
    const session = await start('200x160+400+100');
    try {
      const url = `http://127.0.0.1:${new URL(session.links[0].url).port}/live.mkv`;
      assert.equal(await videoSize(url), '200,160');
      const pixel = await averagePixel(url);
      assert.ok(near(pixel, [0, 0, 255]), `the region is the blue window, the viewer saw ${pixel}`);
    } finally {
      await session.stop();
    }
  });

  it('a region that reaches outside the screen is a field error that names the screen size', async () => {
    const error = await start('400x200+300+0').then(
      (s) => s.stop().then(() => assert.fail('it started')),
      (e: unknown) => e,
    );
    assert.ok(error instanceof SessionError);
    assert.equal(error.field, 'region');
    assert.match(error.message, /reaches outside the screen .*\(640x360\): x \+ width must be at most 640/);
  });

  it('mkvcast share --region: odd sizes and a bad form are usage errors that say the form', async () => {
    for (const [region, why] of [
      ['201x160+0+0', /even numbers/],
      ['left-half', /must be WxH\+X\+Y/],
    ] as const) {
      const run = await runToExit(
        process.execPath,
        ['bin/mkvcast.js', 'share', '--display', xvfb.display, '--region', region],
        {
          timeoutMs: 20_000,
        },
      );
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /--region: /);
      assert.match(run.stderr, why);
    }
  });

  it('mkvcast share --size: only native, 1080p or 720p', async () => {
    const run = await runToExit(
      process.execPath,
      ['bin/mkvcast.js', 'share', '--display', xvfb.display, '--size', '4k'],
      {
        timeoutMs: 20_000,
      },
    );
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--size: The output size must be native, 1080p or 720p/);
  });

  it('--window: listed with its UTF-8 title, found by part of it, captured at its size; it follows a move and stops with the reason when the window closes', async () => {
    const env = { ...process.env, DISPLAY: xvfb.display };
    const notes = spawnTracked(
      'xterm',
      ['-T', 'Notes — draft', '-geometry', '30x8+20+20', '-bg', '#00ff00', '-e', 'sleep', '60'],
      { stdio: 'ignore', env },
    );
    const window = await waitFor('the window', async () =>
      (await listX11Windows(xvfb.display)).find((w) => w.name === 'Notes — draft'),
    );
    assert.equal(pickWindow(await listX11Windows(xvfb.display), 'notes').id, window.id);
    const session = await start('', window.id);
    try {
      const url = `http://127.0.0.1:${new URL(session.links[0].url).port}/live.mkv`;
      assert.equal(
        await videoSize(url),
        `${window.width - (window.width % 2)},${window.height - (window.height % 2)}`,
      );
      assert.ok(near(await averagePixel(url), [0, 255, 0]), 'the viewer sees the green window');
      await runToExit('xdotool', ['windowmove', window.id, '400', '200'], { env });
      assert.ok(near(await averagePixel(url), [0, 255, 0]), 'still the window after it moved');
      notes.kill('SIGTERM');
      await waitFor('sharing to stop with an error', () => session.state.kind === 'error', {
        timeoutMs: 30_000,
      });
      const state = session.state as Extract<SessionState, { kind: 'error' }>;
      assert.equal(state.error.code, 'WINDOW_CLOSED');
      assert.match(
        state.error.message,
        new RegExp(`The window ${window.id} that was being shared has closed`),
      );
    } finally {
      notes.kill('SIGKILL');
      await session.stop();
    }
  });

  it('pause: viewers stay connected and see the Paused card; a colour painted while paused never reaches them', async () => {
    await xvfb.paint('#ff0000');
    const session = await start('100x100+0+250');
    const frames: { atMs: number; rgb: number[] }[] = [];
    try {
      const url = `http://127.0.0.1:${new URL(session.links[0].url).port}/live.mkv`;
      const viewer = spawnTracked(
        'ffmpeg',
        ['-v', 'error', '-i', url, '-vf', 'scale=1:1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
        {
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      );
      let pending = Buffer.alloc(0);
      viewer.stdout?.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 3) {
          frames.push({ atMs: Date.now(), rgb: [...pending.subarray(0, 3)] });
          pending = pending.subarray(3);
        }
      });
      await waitFor('the red screen', () => frames.some((f) => near(f.rgb, [255, 0, 0])), {
        timeoutMs: 15_000,
      });
      session.setPaused(true);
      const card = [0x1e, 0x2a, 0x38];
      await waitFor('the Paused card', () => frames.some((f) => near(f.rgb, card)), { timeoutMs: 15_000 });
      await xvfb.paint('#00ff00'); // the secret
      const seen = frames.length;
      await waitFor('more card frames', () => frames.length >= seen + 15, { timeoutMs: 15_000 });
      assert.ok(
        !frames.some((f) => near(f.rgb, [0, 255, 0])),
        'no frame showed the colour painted while paused',
      );
      session.setPaused(false);
      await waitFor(
        'the screen again, on the same connection',
        () => frames.some((f) => near(f.rgb, [0, 255, 0])),
        { timeoutMs: 15_000 },
      );
      assert.equal(viewer.exitCode, null, 'the viewer stayed connected through pause and resume');
    } finally {
      await session.stop();
    }
  });
});
