/**
 * The app window's sound controls end to end (issue 11): the built renderer in Debian's Chromium, its
 * preload API bridged to an AppController over a real SharingSession capturing Xvfb, with a private
 * PulseAudio (support/pulse.ts) whose microphone plays a 1 kHz tone. The window lists the devices over
 * IPC, shows a saved device that is gone as a field error, shares the picked microphone, and its level
 * meter moves with the tone, then says so when the microphone is unplugged.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { SessionStats, Settings } from '../server/api.js';
import { SharingSession } from '../server/session/session.js';
import { DEFAULT_SETTINGS, newToken } from '../server/settings.js';
import { AppController } from '../electron/controller.js';
import { ensureRendererBuilt, openAppWindow, type AppWindow } from '../support/app-window.js';
import { freePort } from '../support/ports.js';
import { killAll, waitFor } from '../support/processes.js';
import { MIC, MIC_SINK, startPulse, type Pulse } from '../support/pulse.js';
import { startXvfb, type Xvfb } from '../support/xvfb.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');

async function screenshots(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${colorScheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

describe(
  'the app window’s sound controls, over a real session and a private PulseAudio',
  { timeout: 120_000 },
  () => {
    let xvfb: Xvfb;
    let pulse: Pulse;
    let appWindow: AppWindow | undefined;
    let page: Page;
    let session: SharingSession;
    let controller: AppController;
    let tone: ChildProcess;
    let settingsDir: string;
    const saved: Settings[] = [];
    const pageErrors: string[] = [];
    const levels: NonNullable<SessionStats['audio']>[] = [];

    before(async () => {
      await ensureRendererBuilt();
      await mkdir(SCREENSHOTS, { recursive: true });
      [xvfb, pulse] = await Promise.all([startXvfb([{ width: 320, height: 240 }]), startPulse()]);
      await xvfb.paint('#3366cc');
      // The capture ffmpeg and pactl inherit this process's environment: they must reach the private daemon.
      Object.assign(process.env, pulse.env);
      tone = pulse.playTone(MIC_SINK, 1000);
      settingsDir = await mkdtemp(join(tmpdir(), 'mkvcast-app-sound-'));
      session = new SharingSession(
        // A device saved in an earlier run that is not plugged in now.
        {
          ...DEFAULT_SETTINGS,
          fps: 10,
          host: '127.0.0.1',
          port: await freePort(),
          token: newToken(),
          audio: 'Headset',
        },
        { display: xvfb.display, env: { ...process.env, DISPLAY: xvfb.display }, audioPollMs: 250 },
      );
      session.on('stats', (stats: SessionStats) => stats.audio && levels.push(stats.audio));
      controller = new AppController({
        session,
        listScreens: async () => [],
        persist: async (settings) => void saved.push(settings),
        copyText: () => undefined,
      });
      appWindow = await openAppWindow(controller, { width: 900, height: 1000 }, pageErrors);
      page = appWindow.page;
    });

    after(async () => {
      await appWindow?.close();
      controller?.close();
      await session?.stop();
      tone?.kill('SIGKILL');
      await killAll();
      await pulse?.stop();
      await xvfb?.stop();
      if (settingsDir) await rm(settingsDir, { recursive: true, force: true });
    });

    it('lists the sound server’s devices by their names; a saved device that is gone is a field error at the picker', async () => {
      const toggle = page.getByLabel('Share sound');
      const picker = page.getByLabel('Sound source', { exact: true });
      await toggle.waitFor({ timeout: 10_000 });
      assert.equal(await toggle.isChecked(), true, 'the saved setting shares sound');
      const options = await waitFor(
        'the picker to list the devices',
        async () => {
          const texts = await picker.locator('option').allTextContents();
          return texts.includes('Desk_Microphone') ? texts : null;
        },
        { timeoutMs: 10_000 },
      );
      assert.ok(options.includes('System sound (Monitor of Speakers)'), options.join(', '));
      assert.ok(options.includes('Microphone (Desk_Microphone)'), options.join(', '));
      assert.ok(options.includes('Monitor of Speakers'), options.join(', '));
      assert.ok(options.includes('Headset (not found now)'), options.join(', '));
      assert.equal(await picker.inputValue(), 'Headset');

      await page.getByRole('button', { name: 'Start sharing' }).click();
      const error = page.locator('#audio-error');
      await error.waitFor({ timeout: 15_000 });
      assert.match((await error.textContent()) ?? '', /Headset/);
      assert.equal(await picker.getAttribute('aria-invalid'), 'true');
      assert.notEqual(session.state.kind, 'live');
      await screenshots(page, 'sound-device-missing');
    });

    it('turned off and on, picks the microphone by name, and shares it: the level meter moves with its tone', async () => {
      const toggle = page.getByLabel('Share sound');
      const picker = page.getByLabel('Sound source', { exact: true });
      await toggle.uncheck();
      assert.equal(await picker.isDisabled(), true, 'no source to pick while sound is off');
      await toggle.check();
      await picker.selectOption({ label: 'Desk_Microphone' });
      assert.equal(await picker.inputValue(), MIC);

      await page.getByRole('button', { name: 'Start sharing' }).click();
      await waitFor('the session to go live', async () => session.state.kind === 'live', {
        timeoutMs: 20_000,
      });
      assert.equal(saved.at(-1)?.audio, MIC, 'the picked device is saved');
      assert.equal(await page.locator('#audio-error').count(), 0, 'the field error is gone');

      const meter = page.locator('#audio-level');
      await meter.waitFor({ timeout: 15_000 });
      // ffmpeg's sine plays at 1/8 of full scale: about -21 dBFS RMS, the level the session measures.
      const db = await waitFor(
        'the meter to show the tone (above -40 dBFS)',
        async () => {
          const value = Number((await meter.getAttribute('data-level-db')) || Number.NaN);
          return value > -40 ? value : null;
        },
        { timeoutMs: 15_000 },
      );
      assert.ok(Number(await meter.getAttribute('value')) > -40, `the bar is up: ${db} dBFS`);
      assert.match((await page.locator('#audio-level-text').textContent()) ?? '', /^-\d+ dBFS$/);
      assert.match((await page.getByText(/^Level \(/).textContent()) ?? '', /Desk_Microphone/);
      assert.equal(await page.locator('.level-track').textContent(), 'Viewers get Opus, 48 kHz, stereo');
      await screenshots(page, 'sound-live');
      assert.deepEqual(pageErrors, []);
    });

    it('the microphone unplugged while sharing: the window shows the notice and silence, then the level again once it is back', async () => {
      const module = (await pulse.pactl(['list', 'short', 'modules']))
        .split('\n')
        .find((line) => line.includes('module-remap-source'))
        ?.split('\t')[0];
      assert.ok(module, 'the microphone is a module');
      await pulse.pactl(['unload-module', module]);
      // The session's notice, pushed to the window, names the device and the fix; the meter drops.
      const notice = page.locator('.sound-notice');
      await notice.waitFor({ timeout: 15_000 });
      assert.match((await notice.textContent()) ?? '', /'Desk_Microphone' went away.*Plug it back in/);
      assert.ok(
        levels.some((l) => l.silenced),
        'the session reported silence',
      );
      assert.equal(await page.locator('#audio-level-text').textContent(), 'Silence');
      assert.equal(Number(await page.locator('#audio-level').getAttribute('value')), -60);
      await screenshots(page, 'sound-gone');
      // The encoder restarts onto silence (the same tracks): the share is live again, not stopped.
      await waitFor('the share to go on', async () => session.state.kind === 'live', { timeoutMs: 10_000 });
      // Plugged back in: the meter moves again and the notice goes.
      await pulse.pactl([
        'load-module',
        'module-remap-source',
        `master=${MIC_SINK}.monitor`,
        `source_name=${MIC}`,
        'source_properties=device.description=Desk_Microphone',
      ]);
      await waitFor(
        'the meter to move again',
        async () => Number((await page.locator('#audio-level').getAttribute('data-level-db')) || -99) > -40,
        { timeoutMs: 15_000 },
      );
      await notice.waitFor({ state: 'detached', timeout: 5000 });
      assert.deepEqual(pageErrors, []);
    });
  },
);
