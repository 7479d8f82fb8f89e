/**
 * Real players on `mkvcast serve`: mpv, and Debian's Chromium playing the landing page's <video>
 * after joining a stream that has been running for a while.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { makeMedia, type MediaKind } from '../support/media.js';
import { killAll, runToExit, waitFor } from '../support/processes.js';
import { launchChromium } from '../support/browser.js';
import { startServe } from '../support/serve.js';
import { explain } from '../support/viewers.js';

let browser: Browser | null = null;

before(async () => {
  // A fresh temporary profile (Playwright's default for launch()), removed when the browser closes.
  browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
});

after(async () => {
  await browser?.close();
  await killAll();
});

test('mpv plays 30 frames of the stream and exits 0', { timeout: 60_000 }, async () => {
  const server = await startServe([await makeMedia('h264-aac', { seconds: 4 }), '--loop']);
  try {
    await server.waitLive();
    // cplayer=info: the tracks and outputs mpv opened, and why it exited; errors from every module.
    const mpv = await runToExit(
      'mpv',
      [
        '--no-config',
        '--ytdl=no',
        '--vo=null',
        '--ao=null',
        '--frames=30',
        '--msg-level=all=error,cplayer=info',
        server.url,
      ],
      { timeoutMs: 30_000 },
    );
    const said = `${mpv.stdout.toString('utf8')}${mpv.stderr}`;
    assert.equal(mpv.code, 0, `mpv: ${explain(mpv)}\n${said}`);
    assert.match(said, /Video --vid=1 \(h264 320x240/);
    assert.match(said, /Audio --aid=1 \(aac/);
    assert.match(said, /VO: \[null\] 320x240/, 'mpv decoded video to its output');
    assert.match(said, /Exiting\.\.\. \(End of file\)/, 'mpv stopped after its 30 frames');
    assert.doesNotMatch(said, /error|fail/i);
  } finally {
    await server.stop();
  }
});

interface VideoState {
  currentTime: number;
  error: string | null;
  readyState: number;
  paused: boolean;
  videoWidth: number;
  note: string;
}

/** Evaluated in the page (a string: this project's TypeScript has no DOM types). */
const SAMPLE_VIDEO = `(() => {
  const video = document.querySelector('video');
  if (!video) return null;
  return {
    currentTime: video.currentTime,
    error: video.error ? video.error.code + ': ' + video.error.message : null,
    readyState: video.readyState,
    paused: video.paused,
    videoWidth: video.videoWidth,
    note: document.getElementById('player-note')?.textContent ?? '',
  };
})()`;

const BROWSER_STREAMS: { label: string; kind: MediaKind }[] = [
  { label: 'H.264 + AAC', kind: 'h264-aac' },
  { label: 'VP9 + Opus', kind: 'vp9-opus' },
];

for (const { label, kind } of BROWSER_STREAMS) {
  test(
    `Chromium plays the landing page's ${label} player after joining mid-stream`,
    { timeout: 60_000 },
    async () => {
      const server = await startServe([await makeMedia(kind, { seconds: 4 }), '--loop']);
      const context = await (browser as Browser).newContext();
      try {
        await server.waitLive();
        // Join a stream that has been running a while: its own timestamps are well past 0.
        await waitFor('the stream to run 3 s', async () => (await server.status()).uptimeSec >= 3, {
          timeoutMs: 10_000,
        });
        const page = await context.newPage();
        const consoleErrors: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error') consoleErrors.push(message.text());
        });
        const response = await page.goto(server.page);
        assert.equal(response?.status(), 200);

        const sample = (): Promise<VideoState | null> => page.evaluate<VideoState | null>(SAMPLE_VIDEO);
        let last: VideoState | null = null;
        try {
          last = await waitFor(
            'the video to play past 1 s',
            async () => {
              last = await sample();
              if (last?.error) throw new Error(`the video failed: ${last.error}`);
              return last && last.currentTime > 1 && last;
            },
            { timeoutMs: 20_000, intervalMs: 200 },
          );
        } catch (error) {
          throw new Error(
            `${(error as Error).message}; video: ${JSON.stringify(last)}; console: ${consoleErrors.join(' | ')}`,
          );
        }
        assert.equal(last.error, null);
        assert.equal(last.paused, false);
        assert.equal(last.videoWidth, 320);
        const viewers = (await server.status()).viewers;
        assert.ok(
          viewers.some((v) => /Chrom/.test(v.client)),
          `/status lists the browser: ${JSON.stringify(viewers.map((v) => v.client))}`,
        );
      } finally {
        await context.close();
        await server.stop();
      }
    },
  );
}
