/**
 * A header change while a browser watches over WebRTC: the screen changes size (RandR on Xvfb), the
 * stream gets a new header, and the server ends every WebRTC session (its RTP timeline and codec
 * parameters belong to the old header). The landing page must notice, connect again over WebRTC by
 * itself (not fall back to the Matroska <video>), and show the screen at its new size; /status must
 * list one WebRTC viewer, not the old session left behind. Sound turned on is a header change too (a
 * new track): the page that opened without sound must connect again with it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { StreamStatus } from '../server/api.js';
import { SharingSession } from '../server/session/session.js';
import { DEFAULT_SETTINGS } from '../server/settings.js';
import { launchChromium } from '../support/browser.js';
import { SPEAKERS, startPulse, type Pulse } from '../support/pulse.js';
import { freePort } from '../support/ports.js';
import { killAll, waitFor } from '../support/processes.js';
import { countPeers, frameAfter, peers, sampleFrames, transportLine } from '../support/webrtc-page.js';
import { startXvfb, type Xvfb } from '../support/xvfb.js';

const RED = [255, 0, 0];
const BLUE = [0, 0, 255];

/** Every text the page's transport line shows, in order (a MutationObserver set up before the page runs). */
const RECORD_TRANSPORT_LINES = `
(() => {
  window.__transportLines = [];
  document.addEventListener('DOMContentLoaded', () => {
    const label = document.getElementById('transport-label');
    if (!label) return;
    new MutationObserver(() => window.__transportLines.push(label.textContent)).observe(label, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
})();`;

const transportLines = (page: Page): Promise<string[]> =>
  page.evaluate<string[]>('window.__transportLines ?? []');

const videoSize = (page: Page): Promise<string> =>
  page.evaluate<string>(
    `(() => { const v = document.getElementById('player'); return v.videoWidth + 'x' + v.videoHeight; })()`,
  );

describe('a header change while Chromium watches over WebRTC', { timeout: 60_000 }, () => {
  let xvfb: Xvfb;
  let session: SharingSession;
  let browser: Browser;
  let page: Page;
  let base: string;

  const status = async (): Promise<StreamStatus> =>
    (await (await fetch(`${base}status`)).json()) as StreamStatus;
  const webrtcViewers = async () => (await status()).viewers.filter((v) => v.transport === 'webrtc');

  before(async () => {
    xvfb = await startXvfb([{ width: 640, height: 360 }]);
    await xvfb.paint('#ff0000');
    session = new SharingSession(
      { ...DEFAULT_SETTINGS, fps: 15, host: '127.0.0.1', port: await freePort(), keyframeIntervalSec: 1 },
      { display: xvfb.display, env: { ...process.env, DISPLAY: xvfb.display }, screenPollMs: 300 },
    );
    await session.start();
    base = session.links[0].url.replace(/live\.mkv$/, '');
    browser = await launchChromium();
    const context = await browser.newContext();
    await countPeers(context);
    await context.addInitScript(RECORD_TRANSPORT_LINES);
    page = await context.newPage();
  });
  after(async () => {
    await browser?.close();
    await session?.stop();
    await killAll();
    await xvfb?.stop();
  });

  it('the screen resized: the page connects again over WebRTC by itself and follows the screen; one viewer in /status', async (t) => {
    await page.goto(base);
    await waitFor(
      'the page to play over WebRTC',
      async () => (await transportLine(page)) === 'Playing over WebRTC.',
      {
        timeoutMs: 15_000,
      },
    );
    await sampleFrames(page);
    await waitFor('a red frame', () => frameAfter(page, 0, RED), { timeoutMs: 10_000 });
    assert.equal(await videoSize(page), '640x360');
    const [first] = await webrtcViewers();
    assert.ok(first, 'one webrtc viewer before the change');

    const resizedAt = Date.now();
    await xvfb.setScreenSize(400, 300);
    await waitFor('the page on a second peer connection', async () => (await peers(page)).count === 2, {
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    await waitFor('the picture at the new size', async () => (await videoSize(page)) === '400x300', {
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    const againMs = Date.now() - resizedAt;
    t.diagnostic(`playing again at 400x300 ${againMs} ms after the resize`);
    // The session is live again within a second; a page that waits for ICE consent to fail takes ~8 s.
    assert.ok(againMs < 5000, `the page played again ${againMs} ms after the resize`);

    const paintedAt = Date.now();
    await xvfb.paint('#0000ff');
    const blue = await waitFor('a blue frame after the change', () => frameAfter(page, paintedAt, BLUE), {
      timeoutMs: 5000,
      intervalMs: 50,
    });
    t.diagnostic(`blue shown ${Math.round(blue.atMs - paintedAt)} ms after it was painted`);

    assert.deepEqual(await peers(page), { count: 2, state: 'connected' });
    assert.equal(await transportLine(page), 'Playing over WebRTC.');
    const lines = await transportLines(page);
    assert.ok(
      !lines.some((line) => line.startsWith('Playing the Matroska stream')),
      `the page never fell back to Matroska: ${JSON.stringify(lines)}`,
    );
    const viewers = await waitFor(
      'one webrtc viewer in /status',
      async () => {
        const list = await webrtcViewers();
        return list.length === 1 ? list : null;
      },
      { timeoutMs: 5000, intervalMs: 100 },
    ).catch(async (error: Error) =>
      assert.fail(`${error.message}: ${JSON.stringify(await webrtcViewers())}`),
    );
    assert.notEqual(viewers[0].id, first.id, 'the viewer is the new session, not the old one left behind');
    // What the page asks when its packets stop: the old session ended, the new one runs.
    assert.equal((await fetch(`${base}whep/${first.id}`)).status, 404);
    assert.equal((await fetch(`${base}whep/${viewers[0].id}`)).status, 204);
  });
});

/** The page's inbound audio over WebRTC: packets and energy so far (null before there is an audio track). */
const inboundAudio = (page: Page): Promise<{ packets: number; energy: number } | null> =>
  page.evaluate<{ packets: number; energy: number } | null>(`(async () => {
    const pc = (window.__peers || []).at(-1);
    if (!pc) return null;
    let found = null;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') found = { packets: s.packetsReceived, energy: s.totalAudioEnergy ?? 0 };
    });
    return found;
  })()`);

describe('sound turned on while Chromium watches over WebRTC', { timeout: 60_000 }, () => {
  let xvfb: Xvfb;
  let pulse: Pulse;
  let session: SharingSession;
  let browser: Browser;

  before(async () => {
    [xvfb, pulse] = await Promise.all([startXvfb([{ width: 320, height: 240 }]), startPulse()]);
    await xvfb.paint('#ff0000');
    // The capture ffmpeg inherits this process's environment: it must reach the private daemon.
    Object.assign(process.env, pulse.env);
    session = new SharingSession(
      { ...DEFAULT_SETTINGS, fps: 15, host: '127.0.0.1', port: await freePort(), keyframeIntervalSec: 1 },
      { display: xvfb.display, env: { ...process.env, DISPLAY: xvfb.display } },
    );
    await session.start();
    browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
  });
  after(async () => {
    await browser?.close();
    await session?.stop();
    await killAll();
    await pulse?.stop();
    await xvfb?.stop();
  });

  it('the page opened without sound connects again over WebRTC by itself, and now hears the tone', async (t) => {
    pulse.playTone(SPEAKERS, 1000);
    const context = await browser.newContext();
    await countPeers(context);
    const page = await context.newPage();
    await page.goto(session.links[0].url.replace(/live\.mkv$/, ''));
    await waitFor(
      'the page to play over WebRTC',
      async () => (await transportLine(page)) === 'Playing over WebRTC.',
      {
        timeoutMs: 15_000,
      },
    );
    assert.equal(await inboundAudio(page), null, 'no sound yet');

    const onAt = Date.now();
    assert.deepEqual(await session.updateSettings({ ...session.settings, audio: 'system' }), []);
    const heard = await waitFor(
      'sound energy over WebRTC',
      async () => {
        // Played out loud (this browser may autoplay sound): the receiver measures the energy it plays.
        await page.evaluate(`document.getElementById('player').muted = false`);
        const audio = await inboundAudio(page);
        return audio && audio.packets > 0 && audio.energy > 0 ? audio : null;
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    ).catch(async (error: Error) =>
      assert.fail(
        `${error.message}: ${JSON.stringify({
          peers: await peers(page),
          line: await transportLine(page),
          audio: await inboundAudio(page),
          state: session.state.kind,
          tracks: (
            (await (await fetch(session.links[0].url.replace(/live\.mkv$/, 'status'))).json()) as {
              tracks?: unknown;
            }
          ).tracks,
        })}`,
      ),
    );
    assert.ok(heard.energy > 0);
    assert.equal((await peers(page)).count, 2, 'one new peer connection');
    assert.equal(await transportLine(page), 'Playing over WebRTC.');
    const ms = Date.now() - onAt;
    t.diagnostic(`sound heard over WebRTC ${ms} ms after it was turned on`);
    assert.ok(ms < 8000, `sound heard ${ms} ms after it was turned on`);
  });
});
