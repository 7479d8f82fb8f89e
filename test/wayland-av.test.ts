/**
 * Sound, pause and a stopped stream on the Wayland path: a headless sway desktop with the real
 * ScreenCast portal and PipeWire (support/wayland.ts), a private PulseAudio (support/pulse.ts), a real
 * SharingSession on the portal's encoders (as `mkvcast share` builds it), and viewers that decode the
 * picture and the sound.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { SessionState, UserError } from '../server/api.js';
import { SharingSession } from '../server/session/session.js';
import { DEFAULT_SETTINGS } from '../server/settings.js';
import type { ScreenCast } from '../server/wayland/portal.js';
import { openCast, portalDeps } from '../server/wayland/share-portal.js';
import { avViewer, beepOffsets, toneHz } from '../support/av-viewer.js';
import { pixelViewer } from '../support/pixels.js';
import { freePort } from '../support/ports.js';
import { childPids, killAll, waitFor } from '../support/processes.js';
import { sinePcm, SPEAKERS, startPulse, toneBackAfterOutage, type Pulse } from '../support/pulse.js';
import { startWaylandDesktop, type WaylandDesktop } from '../support/wayland.js';

const near = (pixel: number[], colour: number[]): boolean =>
  pixel.every((v, i) => Math.abs(v - colour[i]) < 40);

describe('the Wayland portal path with sound, pause and a stream that stops', { timeout: 120_000 }, () => {
  let desktop: WaylandDesktop;
  let pulse: Pulse;

  before(async () => {
    [desktop, pulse] = await Promise.all([startWaylandDesktop({ width: 320, height: 240 }), startPulse()]);
    // The reader (gst-launch-1.0) and the encoder (ffmpeg) inherit this process's environment: they
    // must reach the desktop's PipeWire and the private sound server. PulseAudio is reached by
    // PULSE_SERVER, so the desktop's runtime folder wins.
    Object.assign(process.env, pulse.env, {
      XDG_RUNTIME_DIR: desktop.env.XDG_RUNTIME_DIR,
      WAYLAND_DISPLAY: desktop.env.WAYLAND_DISPLAY,
      DBUS_SESSION_BUS_ADDRESS: desktop.env.DBUS_SESSION_BUS_ADDRESS,
    });
  });
  after(async () => {
    await killAll();
    await pulse?.stop();
    await desktop?.stop();
  });

  /** A session sharing the desktop through the portal, as `mkvcast share` sets it up. */
  const share = async (
    audio: string,
    fps = 15,
  ): Promise<{ session: SharingSession; cast: ScreenCast; close: () => Promise<void> }> => {
    const cast = await openCast({ env: desktop.env, sources: 'monitor', chooseAgain: false });
    const portal = portalDeps(cast);
    const session = new SharingSession(
      {
        ...DEFAULT_SETTINGS,
        fps,
        keyframeIntervalSec: 0.5,
        host: '127.0.0.1',
        port: await freePort(),
        token: null,
        audio,
      },
      { env: { ...process.env }, audioPollMs: 250, ...portal.deps },
    );
    const close = async (): Promise<void> => {
      await session.stop();
      await portal.close();
      await cast.close();
    };
    try {
      await session.start();
    } catch (error) {
      await close();
      throw error;
    }
    return { session, cast, close };
  };

  it('a viewer hears the tone and sees the colour; a beep played as the screen turns white is heard with it (median of five)', async (t) => {
    await desktop.setColour('#000000');
    const tone = pulse.playTone(SPEAKERS, 1000);
    const { session, close } = await share('system', 30);
    try {
      const viewer = avViewer(session.links[0].url);
      await waitFor('a second of sound', () => viewer.pcm().length > 2 * 96_000, { timeoutMs: 15_000 });
      const hz = toneHz(viewer.pcm().subarray(-96_000));
      assert.ok(Math.abs(hz - 1000) <= 5, `heard ${hz.toFixed(1)} Hz, played 1000 Hz`);
      assert.equal(session.stats().audio?.device, 'Monitor of Speakers');
      tone.kill('SIGKILL');
      await waitFor('quiet', () => (viewer.audio.at(-1)?.value ?? 0) < -50, { timeoutMs: 5000 });

      const player = pulse.player(SPEAKERS);
      let offsets: number[];
      try {
        offsets = await beepOffsets(
          viewer,
          (colour) => desktop.setColour(colour),
          () => player.write(sinePcm(1000, 150)),
        );
      } finally {
        player.child.kill('SIGKILL');
      }
      t.diagnostic(`sound − picture on Wayland: ${offsets.map((o) => o.toFixed(0)).join(', ')} ms`);
      const median = [...offsets].sort((a, b) => a - b)[2];
      assert.ok(
        Math.abs(median) <= 150,
        `sound − picture offsets ${offsets.map((o) => o.toFixed(0)).join(', ')} ms`,
      );
      assert.equal(viewer.child.exitCode, null, 'the viewer stayed connected');
    } finally {
      tone.kill('SIGKILL');
      await close();
    }
  });

  it('the sound server killed while sharing: silence with a notice, the picture goes on, then the tone again; the viewer stays', async () => {
    const tone = pulse.playTone(SPEAKERS, 1000);
    // The screen is left still on purpose: a new cast after another one ended may send no frame until
    // the screen changes, and the share must start anyway (black held until then, not a hung encoder).
    const { session, close } = await share('system');
    const notices: UserError[] = [];
    session.on('notice', (n: UserError) => notices.push(n));
    try {
      const viewer = avViewer(session.links[0].url);
      await waitFor('the tone', () => toneHz(viewer.pcm().subarray(-96_000)) > 990, { timeoutMs: 15_000 });
      tone.kill('SIGKILL');
      await pulse.kill();
      await waitFor('silence', () => session.stats().audio?.silenced, { timeoutMs: 10_000 });
      assert.equal(notices[0]?.code, 'AUDIO_DEVICE_GONE');
      (await toneBackAfterOutage(viewer, pulse, SPEAKERS)).kill('SIGKILL');
      assert.equal(viewer.child.exitCode, null, 'the viewer stayed connected');
    } finally {
      tone.kill('SIGKILL');
      await close();
    }
  });

  it('pause: the viewer sees the Paused card and never a colour painted while paused; resume on the same connection', async () => {
    await desktop.setColour('#ff0000');
    const { session, close } = await share('system');
    try {
      const viewer = pixelViewer(session.links[0].url);
      await waitFor('a red frame', () => viewer.frames.some((f) => near(f.rgb, [255, 0, 0])), {
        timeoutMs: 10_000,
      });
      session.setPaused(true);
      const pausedAt = Date.now();
      // The card is dark blue-grey (0x1e2a38) with white text: its average is far from every colour here.
      await waitFor(
        'the Paused card',
        () => viewer.frames.some((f) => f.atMs >= pausedAt && near(f.rgb, [0x1e, 0x2a, 0x38])),
        { timeoutMs: 10_000 },
      );
      const cardFrom = viewer.frames.length;
      await desktop.setColour('#00ff00');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const seen = viewer.frames.slice(cardFrom);
      assert.ok(seen.length >= 10, `${seen.length} frames while paused (15 fps)`);
      assert.ok(!seen.some((f) => near(f.rgb, [0, 255, 0])), 'no green frame while paused');

      session.setPaused(false);
      const resumedAt = Date.now();
      await desktop.setColour('#0000ff');
      await waitFor(
        'a blue frame after resume',
        () => viewer.frames.some((f) => f.atMs >= resumedAt && near(f.rgb, [0, 0, 255])),
        { timeoutMs: 10_000 },
      );
      assert.equal(viewer.child.exitCode, null, 'the viewer stayed connected');
      assert.equal(session.viewers().length, 1);
    } finally {
      await close();
    }
  });

  it("the desktop's capture goes away (its portal backend killed): the frozen stream is noticed, and a new one is asked for", async () => {
    await desktop.setColour('#ff0000');
    const { session, close } = await share('none');
    const states: SessionState[] = [];
    session.on('state', (s: SessionState) => states.push(s));
    try {
      const viewer = pixelViewer(session.links[0].url);
      await waitFor('a red frame', () => viewer.frames.some((f) => near(f.rgb, [255, 0, 0])), {
        timeoutMs: 10_000,
      });
      const reader = childPids(process.pid).find((pid) => readComm(pid) === 'gst-launch-1.0');
      assert.ok(reader, 'a reader runs');
      // Restarting xdg-desktop-portal-wlr ends its PipeWire stream: the reader stops getting frames
      // and says nothing (no error, no Closed signal), while the keepalive used to hide it.
      await desktop.setChooser('none');
      const restarting = await waitFor(
        'the frozen stream noticed',
        () => states.find((s) => s.kind === 'restarting'),
        { timeoutMs: 10_000 },
      );
      assert.match(
        (restarting as Extract<SessionState, { kind: 'restarting' }>).reason,
        /PipeWire reader stopped: its stream sent nothing for 3 s/,
      );
      // The new stream starts on the next change on screen (server/wayland/encoder.ts).
      const paintedAt = Date.now();
      let on = false;
      const painter = setInterval(() => {
        on = !on;
        void desktop.setColour(on ? '#0000ff' : '#000000').catch(() => {});
      }, 300);
      try {
        await waitFor(
          'a blue frame from the new stream',
          () => viewer.frames.some((f) => f.atMs >= paintedAt && near(f.rgb, [0, 0, 255])),
          { timeoutMs: 15_000 },
        );
      } finally {
        clearInterval(painter);
      }
      assert.equal(viewer.child.exitCode, null, 'the viewer stayed connected');
      assert.notEqual(session.state.kind, 'error');
    } finally {
      await close();
    }
  });
});

function readComm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
