/**
 * Screen sharing end to end: a real Xvfb screen, a real SharingSession (ffmpeg x11grab + libx264),
 * and real viewers (ffmpeg decoding the link) that check what was painted on the screen.
 */
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { SessionState } from '../server/api.js';
import { SessionError, SharingSession } from '../server/session/session.js';
import { DEFAULT_SETTINGS } from '../server/settings.js';
import { childPids, isAlive, killAll, runToExit, spawnTracked, waitFor } from '../support/processes.js';
import { videoSize } from '../support/viewers.js';
import { startXvfb, type Xvfb } from '../support/xvfb.js';
import { freePort } from '../support/ports.js';
import { pixelViewer } from '../support/pixels.js';

const RED = [255, 0, 0];
const BLUE = [0, 0, 255];

function near(pixel: number[], colour: number[]): boolean {
  return pixel.every((v, i) => Math.abs(v - colour[i]) < 40);
}

/** The video size a viewer of `url` sees, as `W,H`. */
const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('close', (code) => resolve(code)));

describe('mkvcast share: a SharingSession capturing a real X screen', { timeout: 120_000 }, () => {
  let xvfb: Xvfb;
  let session: SharingSession;
  const states: SessionState['kind'][] = [];

  before(async () => {
    xvfb = await startXvfb([{ width: 640, height: 360 }]);
    await xvfb.paint('#ff0000');
    session = new SharingSession(
      { ...DEFAULT_SETTINGS, fps: 15, host: '127.0.0.1', port: await freePort(), keyframeIntervalSec: 0.5 },
      { display: xvfb.display, env: { ...process.env, DISPLAY: xvfb.display } },
    );
    session.on('state', (s: SessionState) => states.push(s.kind));
  });
  after(async () => {
    await session.stop();
    await killAll();
    await xvfb.stop();
  });

  it('shows what is on the screen, and a change of colour within 1 s', async () => {
    await session.start();
    assert.equal(session.state.kind, 'live');
    const url = session.links[0].url;
    const viewer = pixelViewer(url, 8);
    await waitFor('a red frame', () => viewer.frames.some((f) => near(f.rgb, RED)), { timeoutMs: 10_000 });
    const paintedAt = Date.now();
    await xvfb.paint('#0000ff');
    const blue = await waitFor(
      'a blue frame',
      () => viewer.frames.find((f) => f.atMs >= paintedAt && near(f.rgb, BLUE)),
      {
        timeoutMs: 5000,
        intervalMs: 20,
      },
    );
    assert.ok(blue.atMs - paintedAt < 1000, `the change showed after ${blue.atMs - paintedAt} ms`);
    viewer.child.kill('SIGKILL');
  });

  it('after stop() no ffmpeg process and no listening socket remain', async () => {
    const pid = session.ffmpegPid as number;
    const port = session.port;
    assert.ok(isAlive(pid));
    await session.stop();
    assert.equal(session.state.kind, 'idle');
    assert.equal(isAlive(pid), false);
    const probe = await runToExit(
      'ffmpeg',
      ['-v', 'error', '-i', `http://127.0.0.1:${port}/live.mkv`, '-t', '1', '-f', 'null', '-'],
      {
        timeoutMs: 10_000,
      },
    );
    assert.notEqual(probe.code, 0, 'nothing answers on the port');
  });
});

describe(
  'SharingSession refuses bad settings and a missing ffmpeg with what to do',
  { timeout: 60_000 },
  () => {
    let xvfb: Xvfb;
    before(async () => {
      xvfb = await startXvfb([{ width: 320, height: 240 }]);
    });
    after(() => xvfb.stop());

    const attempt = async (settings: Partial<typeof DEFAULT_SETTINGS>, env: NodeJS.ProcessEnv = {}) => {
      const session = new SharingSession(
        { ...DEFAULT_SETTINGS, host: '127.0.0.1', port: await freePort(), ...settings },
        { display: xvfb.display, env: { ...process.env, DISPLAY: xvfb.display, ...env } },
      );
      await assert.rejects(session.start());
      const state = session.state;
      assert.equal(state.kind, 'error');
      return state.kind === 'error' ? state.error : assert.fail();
    };

    it('fps 0 and port 80 are field errors', async () => {
      assert.equal((await attempt({ fps: 0 })).field, 'fps');
      const port = await attempt({ port: 80 });
      assert.equal(port.field, 'port');
      assert.match(port.message, /Port must be a whole number from 1024 to 65535/);
    });

    it('an unknown screen is an error on the screen field, listing the screens there are', async () => {
      const error = await attempt({ screenId: 'HDMI-9' });
      assert.equal(error.field, 'screenId');
      assert.match(error.message, /There is no screen "HDMI-9"/);
    });

    it('a port in use says which and what to do', async () => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const port = (blocker.address() as { port: number }).port;
      const error = await attempt({ port });
      blocker.close();
      assert.equal(error.code, 'PORT_IN_USE');
      assert.equal(error.field, 'port');
      assert.match(error.message, new RegExp(`Port ${port} is in use`));
    });

    it('no ffmpeg on PATH, or a bad FFMPEG_PATH, gives the install message', async () => {
      const none = await attempt({}, { PATH: '', FFMPEG_PATH: '' });
      assert.equal(none.code, 'FFMPEG_MISSING');
      assert.match(none.fix, /apt-get install ffmpeg/);
      const bad = await attempt({}, { FFMPEG_PATH: '/nonexistent/ffmpeg' });
      assert.equal(bad.code, 'FFMPEG_MISSING');
      assert.match(bad.message, /\/nonexistent\/ffmpeg/);
      assert.ok(SessionError);
    });
  },
);

describe('two screens: each X screen can be listed and shared', { timeout: 60_000 }, () => {
  let xvfb: Xvfb;
  before(async () => {
    xvfb = await startXvfb([
      { width: 640, height: 360 },
      { width: 320, height: 240 },
    ]);
  });
  after(async () => {
    await killAll();
    await xvfb.stop();
  });

  it('mkvcast share --list-screens shows the second screen, and sharing it gives its size', async () => {
    const list = await runToExit('node', [
      'bin/mkvcast.js',
      'share',
      '--list-screens',
      '--display',
      `${xvfb.display}.1`,
    ]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout.toString(), /320x240\+0\+0/);
    const session = new SharingSession(
      { ...DEFAULT_SETTINGS, fps: 10, host: '127.0.0.1', port: await freePort() },
      { display: `${xvfb.display}.1`, env: { ...process.env, DISPLAY: `${xvfb.display}.1` } },
    );
    await session.start();
    try {
      assert.equal(await videoSize(session.links[0].url), '320,240');
    } finally {
      await session.stop();
    }
  });
});

describe('mkvcast share on the command line', { timeout: 90_000 }, () => {
  let xvfb: Xvfb;
  before(async () => {
    xvfb = await startXvfb([{ width: 320, height: 240 }]);
  });
  after(async () => {
    await killAll();
    await xvfb.stop();
  });

  /** Starts `mkvcast share` and resolves with its process, printed link and ffmpeg child pid. */
  async function startShare(
    extra: string[] = [],
  ): Promise<{ child: ChildProcess; url: string; ffmpegPid: number; stdout(): string; stderr(): string }> {
    const port = await freePort();
    const child = spawnTracked(
      process.execPath,
      [
        'bin/mkvcast.js',
        'share',
        '--display',
        xvfb.display,
        '--fps',
        '10',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        ...extra,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await waitFor(
      `the link (stderr: ${stderr})`,
      () => /http:\/\/127\.0\.0\.1:\d+\/\S*live\.mkv/.exec(stdout)?.[0],
      {
        timeoutMs: 15_000,
      },
    );
    const ffmpegPid = await waitFor('the ffmpeg child', () => childPids(child.pid as number)[0]);
    return { child, url, ffmpegPid, stdout: () => stdout, stderr: () => stderr };
  }

  /** `mkvcast share ARGS` on the test display, run to its exit. */
  const runShare = (args: string[]): ReturnType<typeof runToExit> =>
    runToExit(process.execPath, ['bin/mkvcast.js', 'share', '--display', xvfb.display, ...args], {
      timeoutMs: 30_000,
    });

  it('-q prints the links with their token, and nothing else', async () => {
    const { child, stdout, stderr } = await startShare(['-q']);
    child.kill('SIGINT');
    assert.equal(await exited(child), 0);
    const lines = stdout().trimEnd().split('\n');
    for (const line of lines) {
      assert.match(line, /^ {2}http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{22}\/live\.mkv {3}\(.+\)$/);
    }
    assert.equal(stderr(), '');
  });

  it('an encoder that does not work here: exit 1, and the fix names --encoder', async () => {
    const run = await runShare([
      '--encoder',
      'h264_nvenc',
      '--host',
      '127.0.0.1',
      '--port',
      String(await freePort()),
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /^mkvcast: The encoder h264_nvenc does not work .*Leave out --encoder to use libx264/,
    );
    assert.doesNotMatch(run.stderr, /Leave the encoder empty/);
  });

  it('a bad option points to mkvcast share --help; --version is the version', async () => {
    for (const args of [['--fps', '0'], ['--bogus']]) {
      const run = await runShare(args);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr.trim(), /See mkvcast share --help\.$/);
    }
    const version = await runShare(['--version']);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout.toString(), /^\d+\.\d+\.\d+\n$/);
  });

  it('prints a link with a fresh viewer token, serves the screen, and Ctrl-C stops cleanly', async () => {
    await xvfb.paint('#ff0000');
    const { child, url, ffmpegPid } = await startShare();
    assert.match(url, /\/[A-Za-z0-9_-]{22}\/live\.mkv$/, 'the link carries a 22-character token');
    const frame = await runToExit(
      'ffmpeg',
      [
        '-v',
        'error',
        '-i',
        url,
        '-vf',
        'select=gte(n\\,3),scale=1:1',
        '-frames:v',
        '1',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        '-',
      ],
      { timeoutMs: 15_000 },
    );
    assert.ok(near([...frame.stdout], RED), `the viewer saw ${[...frame.stdout]}`);
    const withoutToken = await fetch(url.replace(/\/[^/]+\/live\.mkv$/, '/live.mkv'));
    assert.equal(withoutToken.status, 404);
    child.kill('SIGINT');
    assert.equal(await exited(child), 0);
    assert.equal(isAlive(ffmpegPid), false, 'ffmpeg is gone');
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(Number(new URL(url).port), '127.0.0.1', resolve);
    });
    again.close();
  });

  it('--max-viewers-per-address and --cors reach the server', async () => {
    const origin = 'http://allowed.example:3000';
    const { child, url } = await startShare([
      '--token',
      'none',
      '--max-viewers-per-address',
      '1',
      '--cors',
      origin,
    ]);
    const first = new AbortController();
    try {
      const status = await fetch(url.replace(/live\.mkv$/, 'status'), { headers: { Origin: origin } });
      assert.equal(status.headers.get('access-control-allow-origin'), origin);
      const watching = await fetch(url, { signal: first.signal });
      assert.equal(watching.status, 200);
      const second = await fetch(url);
      assert.equal(second.status, 503);
      assert.match(await second.text(), /the limit for one address/);
    } finally {
      first.abort();
      child.kill('SIGINT');
      assert.equal(await exited(child), 0);
    }
  });

  it('no ffmpeg outlives an mkvcast that was killed outright', async () => {
    const { child, ffmpegPid } = await startShare(['--token', 'none']);
    child.kill('SIGKILL');
    await exited(child);
    await waitFor('ffmpeg to exit after its parent died', () => !isAlive(ffmpegPid), { timeoutMs: 5000 });
  });
});

describe('changes while sharing', { timeout: 90_000 }, () => {
  let xvfb: Xvfb;
  before(async () => {
    xvfb = await startXvfb([{ width: 640, height: 360 }]);
  });
  after(async () => {
    await killAll();
    await xvfb.stop();
  });

  it('a monitor that changes size is captured again at its new size; one that goes away stops sharing', async () => {
    // A RandR monitor layout change, injected here (faults.test.ts resizes the Xvfb screen itself).
    let monitors = [
      { id: 'DP-1', name: 'DP-1', x: 0, y: 0, width: 320, height: 240, scaleFactor: 1, primary: true },
    ];
    const session = new SharingSession(
      { ...DEFAULT_SETTINGS, fps: 10, host: '127.0.0.1', port: await freePort() },
      {
        display: xvfb.display,
        env: { ...process.env, DISPLAY: xvfb.display },
        listScreens: async () => monitors,
        screenPollMs: 200,
      },
    );
    const size = (): Promise<string> => videoSize(session.links[0].url);
    try {
      await session.start();
      assert.equal(await size(), '320,240');
      const viewer = spawnTracked('ffmpeg', ['-v', 'error', '-i', session.links[0].url, '-f', 'null', '-'], {
        stdio: 'ignore',
      });
      await waitFor('the viewer', () => session.viewers().length === 1);
      monitors = [{ ...monitors[0], width: 640, height: 360 }];
      await waitFor('the new size', async () => (await size()) === '640,360', {
        timeoutMs: 15_000,
        intervalMs: 500,
      });
      assert.equal(
        await exited(viewer),
        0,
        "the old viewer's stream ended cleanly: its player needs the new header",
      );
      monitors = [];
      const state = await waitFor(
        'the error',
        () => (session.state.kind === 'error' ? session.state : null),
        { timeoutMs: 10_000 },
      );
      assert.equal(state.error.code, 'SCREEN_NOT_FOUND');
      assert.match(state.error.message, /DP-1 being shared is gone/);
    } finally {
      await session.stop();
    }
  });

  it('new capture settings restart the encoder while viewers keep playing; kick drops one viewer', async () => {
    const session = new SharingSession(
      { ...DEFAULT_SETTINGS, fps: 10, host: '127.0.0.1', port: await freePort() },
      { display: xvfb.display, env: { ...process.env, DISPLAY: xvfb.display } },
    );
    try {
      await session.start();
      const url = session.links[0].url;
      const startedMs = Date.now();
      const keeps = spawnTracked('ffmpeg', ['-v', 'error', '-i', url, '-t', '5', '-f', 'null', '-'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      keeps.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const [kept] = await waitFor('the first viewer', () =>
        session.viewers().length === 1 ? session.viewers() : null,
      );
      const kicked = spawnTracked('ffmpeg', ['-v', 'error', '-i', url, '-f', 'null', '-'], {
        stdio: 'ignore',
      });
      const other = await waitFor('the second viewer', () => session.viewers().find((v) => v.id !== kept.id));
      assert.equal(session.kick(other.id), true);
      await exited(kicked);
      assert.deepEqual(
        session.viewers().map((v) => v.id),
        [kept.id],
      );
      const pid = session.ffmpegPid;
      // A new keyframe interval keeps the stream's header (same size, same SPS): the new run is spliced in.
      assert.deepEqual(await session.updateSettings({ ...session.settings, keyframeIntervalSec: 2 }), []);
      await waitFor('a new encoder', () => session.ffmpegPid !== null && session.ffmpegPid !== pid, {
        timeoutMs: 10_000,
      });
      await waitFor('live again', () => session.state.kind === 'live', { timeoutMs: 10_000 });
      assert.deepEqual(
        (await session.updateSettings({ ...session.settings, fps: 0 })).map((e) => e.field),
        ['fps'],
      );
      assert.equal(await exited(keeps), 0, `the other viewer played through the restart: ${stderr}`);
      assert.ok(
        Date.now() - startedMs > 3500,
        'it decoded its 5 s in real time, not cut short by an end of stream',
      );
      assert.equal(session.settings.keyframeIntervalSec, 2);
    } finally {
      await session.stop();
    }
  });
});
