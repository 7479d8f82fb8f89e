/**
 * Sharing a Wayland screen end to end: a headless sway desktop (support/wayland.ts), the real
 * ScreenCast portal (xdg-desktop-portal + -wlr), PipeWire, `mkvcast share` as a user runs it, and
 * viewers (ffmpeg decoding the link) that check the colour foot paints over the whole screen.
 */
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/ports.js';
import { childPids, isAlive, killAll, runToExit, spawnTracked, waitFor } from '../support/processes.js';
import { startWaylandDesktop, type WaylandDesktop } from '../support/wayland.js';
import { pixelViewer } from '../support/pixels.js';

const RED = [255, 0, 0];
const GREEN = [0, 255, 0];
const BLUE = [0, 0, 255];
const near = (pixel: number[], colour: number[]): boolean =>
  pixel.every((v, i) => Math.abs(v - colour[i]) < 40);

/** `mkvcast share` on the desktop, as a user types it; resolves with its link once it is live. */
async function share(
  desktop: WaylandDesktop,
  extra: string[] = [],
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  const args = ['bin/mkvcast.js', 'share', '--host', '127.0.0.1', '--port', String(port), '--token', 'none'];
  const child = spawnTracked(process.execPath, [...args, '--fps', '15', '--keyint', '0.5', ...extra], {
    env: desktop.env,
  });
  let text = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => (text += d));
  child.stderr?.on('data', (d: string) => (text += d));
  await waitFor(
    'share printing its link',
    () => {
      if (child.exitCode !== null) throw new Error(`share exited ${child.exitCode}: ${text}`);
      return text.includes('live.mkv');
    },
    { timeoutMs: 20_000 },
  );
  return { child, url: `http://127.0.0.1:${port}/live.mkv`, output: () => text };
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('close', (code) => resolve(code)));

/** The child of the share process named `name` (gst-launch-1.0, the reader; ffmpeg, the encoder). */
function childNamed(sharePid: number, name: string): number | undefined {
  return childPids(sharePid).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
    } catch {
      return false;
    }
  });
}

describe(
  'mkvcast share on a headless Wayland desktop (ScreenCast portal + PipeWire)',
  { timeout: 120_000 },
  () => {
    let desktop: WaylandDesktop;

    before(async () => {
      desktop = await startWaylandDesktop({ width: 640, height: 360 });
    });
    after(async () => {
      await killAll();
      await desktop?.stop();
    });

    it('the compositor renders the colour foot is given (grim)', async () => {
      await desktop.setColour('#ff0000');
      await waitFor('a red screen', async () => near(await desktop.pixel(320, 180), RED));
    });

    it('a viewer sees the colour follow the screen, a still screen keeps it playing, and a killed encoder is replaced while it watches', async () => {
      await desktop.setColour('#ff0000');
      const sharing = await share(desktop);
      assert.match(sharing.output(), /desktop's dialog/);
      // The desktop's permission is kept for the next run (the portal's restore token).
      const tokenFile = `${desktop.env.XDG_STATE_HOME}/mkvcast/portal-restore-token`;
      assert.match(readFileSync(tokenFile, 'utf8'), /^\S+\n$/);
      const viewer = pixelViewer(sharing.url);
      await waitFor('a red frame', () => viewer.frames.some((f) => near(f.rgb, RED)), { timeoutMs: 10_000 });

      const paintedAt = Date.now();
      await desktop.setColour('#0000ff');
      const blue = await waitFor(
        'a blue frame',
        () => viewer.frames.find((f) => f.atMs >= paintedAt && near(f.rgb, BLUE)),
        { timeoutMs: 5000, intervalMs: 20 },
      );
      assert.ok(blue.atMs - paintedAt < 1000, `the change showed after ${blue.atMs - paintedAt} ms`);

      // Nothing changes on screen for 2 s: the portal sends nothing, the keepalive keeps frames coming.
      const stillFrom = viewer.frames.length;
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const still = viewer.frames.length - stillFrom;
      assert.ok(still >= 15, `${still} frames in 2 s of a still screen (15 fps)`);

      // The encoder dies: the session starts a new one on the same PipeWire reader, and the viewer,
      // still connected, sees the screen change after it.
      const pid = sharing.child.pid as number;
      const reader = childNamed(pid, 'gst-launch-1.0');
      const encoder = childNamed(pid, 'ffmpeg');
      assert.ok(reader && encoder, 'a gst-launch-1.0 reader and an ffmpeg run under share');
      process.kill(encoder, 'SIGKILL');
      await waitFor('a new encoder', () => {
        const next = childNamed(pid, 'ffmpeg');
        return next !== undefined && next !== encoder;
      });
      const greenAt = Date.now();
      await desktop.setColour('#00ff00');
      await waitFor(
        'a green frame after the restart',
        () => viewer.frames.find((f) => f.atMs >= greenAt && near(f.rgb, GREEN)),
        { timeoutMs: 10_000, intervalMs: 20 },
      ).catch((error: Error) => {
        const last = viewer.frames.at(-1);
        throw new Error(
          `${error.message}; ${viewer.frames.length} frames, last ${last?.rgb.join(',')} ${last ? Date.now() - last.atMs : '-'} ms ago; viewer exit ${viewer.child.exitCode}; share said: ${sharing.output()}`,
        );
      });
      assert.equal(viewer.child.exitCode, null, 'the viewer stayed connected');

      assert.equal(viewer.child.exitCode, null, 'the viewer stayed connected');
      viewer.child.kill('SIGKILL');

      sharing.child.kill('SIGINT');
      assert.equal(await exited(sharing.child), 0);
      assert.match(sharing.output(), /Stopped sharing/);
      assert.equal(isAlive(reader), false, 'the reader stopped with share');
    });

    it('a killed PipeWire reader is replaced (a new portal session and reader), and the viewer sees the screen again once it changes', async () => {
      await desktop.setColour('#ff0000');
      const sharing = await share(desktop);
      const viewer = pixelViewer(sharing.url);
      await waitFor('a red frame', () => viewer.frames.some((f) => near(f.rgb, RED)), { timeoutMs: 10_000 });
      const pid = sharing.child.pid as number;
      const first = childNamed(pid, 'gst-launch-1.0');
      assert.ok(first, 'a gst-launch-1.0 reader runs under share');
      let reader: number = first;
      const readers = [first];
      const resumedMs: number[] = [];
      // Twice: a renewed cast must itself survive its reader being killed.
      for (const [round, colour, rgb] of [
        [1, '#0000ff', BLUE],
        [2, '#00ff00', GREEN],
      ] as const) {
        process.kill(reader, 'SIGKILL');
        const gone = reader;
        reader = await waitFor(`reader ${round + 1}`, (): number | undefined => {
          const next = childNamed(pid, 'gst-launch-1.0');
          return next !== undefined && next !== gone ? next : undefined;
        });
        readers.push(reader);
        // The new stream starts on the next change on screen (xdg-desktop-portal-wlr: see
        // server/wayland/encoder.ts): the screen changes every 300 ms, between black and the colour.
        const paintedAt = Date.now();
        let on = false;
        let painterError: Error | null = null;
        const painter = setInterval(() => {
          on = !on;
          desktop.setColour(on ? colour : '#000000').catch((error: Error) => (painterError = error));
        }, 300);
        try {
          const seen = await waitFor(
            `a ${colour} frame after reader ${round + 1} started`,
            () => viewer.frames.find((f) => f.atMs >= paintedAt && near(f.rgb, rgb)),
            { timeoutMs: 10_000, intervalMs: 20 },
          ).catch((error: Error) => {
            const last = viewer.frames.at(-1);
            throw new Error(
              `${error.message}; ${viewer.frames.length} frames, last ${last?.rgb.join(',')}; share said: ${sharing.output()}`,
            );
          });
          resumedMs.push(seen.atMs - paintedAt);
          assert.equal(painterError, null);
        } finally {
          clearInterval(painter);
        }
      }
      console.log(`picture back after a killed reader: ${resumedMs.join(', ')} ms`);
      assert.equal(viewer.child.exitCode, null, 'the viewer stayed connected');
      viewer.child.kill('SIGKILL');
      sharing.child.kill('SIGINT');
      assert.equal(await exited(sharing.child), 0);
      for (const r of readers) assert.equal(isAlive(r), false, 'every reader stopped with share');
    });

    it('share killed with SIGKILL: its PipeWire reader and encoder are gone within 2 s (no orphan)', async () => {
      await desktop.setColour('#ff0000');
      const sharing = await share(desktop);
      const pid = sharing.child.pid as number;
      const reader = await waitFor('a reader', () => childNamed(pid, 'gst-launch-1.0'));
      const encoder = await waitFor('an encoder', () => childNamed(pid, 'ffmpeg'));
      process.kill(pid, 'SIGKILL');
      await exited(sharing.child);
      const killedAt = Date.now();
      await waitFor('the reader and the encoder to be gone', () => !isAlive(reader) && !isAlive(encoder), {
        timeoutMs: 2000,
        intervalMs: 20,
      });
      console.log(`reader and encoder gone ${Date.now() - killedAt} ms after share was killed`);
    });

    it('a refusal in the desktop dialog ends share with the fix', async () => {
      await desktop.setChooser('refuse');
      try {
        const run = await runToExit(
          process.execPath,
          [
            'bin/mkvcast.js',
            'share',
            '--host',
            '127.0.0.1',
            '--port',
            String(await freePort()),
            '--choose-again',
          ],
          { env: desktop.env as Record<string, string>, timeoutMs: 20_000 },
        );
        assert.notEqual(run.code, 0);
        assert.match(
          run.stderr,
          /desktop's screen-cast portal failed at Start|refused in the desktop's dialog/,
        );
        assert.equal(existsSync(`${desktop.env.XDG_STATE_HOME}/mkvcast/portal-restore-token`), false);
        assert.match(
          run.stderr,
          /xdg-desktop-portal-gnome \(GNOME\), xdg-desktop-portal-kde|choose a screen/,
        );
      } finally {
        await desktop.setChooser('none');
      }
    });

    it('a session without a portal ends share with which portal to install', async () => {
      const run = await runToExit(
        process.execPath,
        ['bin/mkvcast.js', 'share', '--host', '127.0.0.1', '--port', String(await freePort())],
        {
          env: {
            ...(desktop.env as Record<string, string>),
            DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus',
          },
          timeoutMs: 20_000,
        },
      );
      assert.notEqual(run.code, 0, `${run.stdout.toString()}${run.stderr}`);
      assert.match(run.stderr, /no screen-cast portal/);
      assert.match(run.stderr, /xdg-desktop-portal-kde \(KDE Plasma\)/);
    });
  },
);

describe('mkvcast share picks the capture by the session, and --capture overrides it', () => {
  const cli = (args: string[], env: Record<string, string>) =>
    runToExit(process.execPath, ['bin/mkvcast.js', 'share', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeoutMs: 15_000,
    });

  it("on Wayland, --list-screens says the desktop's dialog will ask", async () => {
    const run = await cli(['--list-screens'], { WAYLAND_DISPLAY: 'wayland-0', XDG_SESSION_TYPE: 'wayland' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout.toString(), /desktop's own dialog asks which screen or window to share/);
  });

  it('--capture x11 on a Wayland session lists the X screens instead', async () => {
    const run = await cli(['--list-screens', '--capture', 'x11', '--display', ':77'], {
      XDG_SESSION_TYPE: 'wayland',
    });
    // No X server on :77: the X11 path was taken, and says so (not the Wayland refusal).
    assert.notEqual(run.code, 0);
    assert.doesNotMatch(run.stderr, /Wayland session/);
    assert.match(run.stderr, /:77/);
  });

  it('refuses --screen on a Wayland session: the desktop dialog chooses', async () => {
    const run = await cli(['--screen', 'HDMI-1'], {
      WAYLAND_DISPLAY: 'wayland-0',
      XDG_SESSION_TYPE: 'wayland',
    });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /--screen cannot pick the screen through the Wayland portal/);
    assert.match(run.stderr, /--capture x11/);
  });

  it('refuses an unknown --capture with the choices', async () => {
    const run = await cli(['--capture', 'pipewire'], {});
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /--capture must be portal or x11 \(got 'pipewire'\)/);
  });
});
