/**
 * A stream without a picture on the landing page, in Debian's Chromium: an audio player (not a large
 * black video box) that says "Sound only", plays, and a "Play sound" button that unmutes it.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { makeMedia } from '../support/media.js';
import { killAll, waitFor } from '../support/processes.js';
import { startServe } from '../support/serve.js';

let browser: Browser | null = null;

after(async () => {
  await browser?.close();
  await killAll();
});

interface AudioState {
  tag: string;
  currentTime: number;
  muted: boolean;
  paused: boolean;
  error: string | null;
  videos: number;
  label: string;
  button: string;
}

/** Evaluated in the page (a string: this project's TypeScript has no DOM types). */
const SAMPLE = `(() => {
  const player = document.getElementById('player');
  if (!player) return null;
  return {
    tag: player.tagName.toLowerCase(),
    currentTime: player.currentTime,
    muted: player.muted,
    paused: player.paused,
    error: player.error ? player.error.code + ': ' + player.error.message : null,
    videos: document.querySelectorAll('video').length,
    label: document.getElementById('sound-only')?.innerText ?? '',
    button: document.getElementById('sound')?.innerText ?? '',
  };
})()`;

test(
  'an Opus-only stream shows an audio player that says "Sound only" and unmutes with one click',
  { timeout: 90_000 },
  async () => {
    // The browser's default autoplay policy: muted media may start by itself, sound needs a click.
    browser = await launchChromium();
    const server = await startServe([await makeMedia('opus-only', { seconds: 4 }), '--loop']);
    const context = await browser.newContext();
    try {
      await server.waitLive();
      const page = await context.newPage();
      assert.equal((await page.goto(server.page))?.status(), 200);
      const sample = async (): Promise<AudioState | null> => page.evaluate<AudioState | null>(SAMPLE);
      let last: AudioState | null = null;
      const playing = await waitFor(
        'the audio player to play past 1 s',
        async () => {
          last = await sample();
          if (last?.error) throw new Error(`the player failed: ${last.error}`);
          return last && last.currentTime > 1 && last;
        },
        { timeoutMs: 20_000, intervalMs: 200 },
      ).catch((error: Error) => {
        throw new Error(`${error.message}; player: ${JSON.stringify(last)}`);
      });
      assert.equal(playing.tag, 'audio');
      assert.equal(playing.videos, 0, 'no black video box');
      assert.equal(playing.label, 'Sound only: this stream has no picture.');
      assert.equal(playing.muted, true, 'it started muted, as browsers require');
      assert.equal(playing.button, 'Play sound');
      assert.ok(await page.getByText('Sound only').isVisible(), 'the label is visible');

      await page.getByRole('button', { name: 'Play sound' }).click();
      const unmuted = await waitFor(
        'the sound to play',
        async () => {
          const s = await sample();
          return s && !s.muted && !s.paused && s;
        },
        { timeoutMs: 5000, intervalMs: 100 },
      );
      assert.equal(unmuted.button, 'Mute');
      const before = unmuted.currentTime;
      await waitFor(
        'the unmuted player to go on',
        async () => ((await sample())?.currentTime ?? 0) > before + 0.5,
        {
          timeoutMs: 5000,
          intervalMs: 100,
        },
      );
    } finally {
      await context.close();
      await server.stop();
    }
  },
);
