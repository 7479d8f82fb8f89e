/**
 * What is shared, and pause, in the desktop app's window end to end (issue 14): the built renderer in
 * Debian's Chromium, bridged to an AppController over a real SharingSession capturing Xvfb, a real X
 * client (xterm) to pick as the window, and real viewers (ffmpeg) watching the link.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { WindowInfo } from '../server/windows.js';
import { listX11Screens } from '../server/screens.js';
import { SharingSession } from '../server/session/session.js';
import { DEFAULT_SETTINGS, newToken } from '../server/settings.js';
import { listX11Windows } from '../server/windows.js';
import { AppController } from '../electron/controller.js';
import { windowChoices } from '../electron/windows.js';
import { ensureRendererBuilt, openAppWindow, type AppWindow } from '../support/app-window.js';
import { freePort } from '../support/ports.js';
import { killAll, runToExit, spawnTracked, waitFor } from '../support/processes.js';
import { withX11Thumbnails, x11WindowThumbnail } from '../support/thumbnails.js';
import { videoSize } from '../support/viewers.js';
import { startXvfb, type Xvfb } from '../support/xvfb.js';
import { averagePixel } from '../support/pixels.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const TITLE = 'Notes — draft';

const near = (pixel: number[], colour: number[]): boolean =>
  pixel.every((v, i) => Math.abs(v - colour[i]) < 40);

async function screenshots(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${colorScheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

describe('the app window: a window, a region, pause', { timeout: 120_000 }, () => {
  let xvfb: Xvfb;
  let appWindow: AppWindow | undefined;
  let page: Page;
  let session: SharingSession;
  let controller: AppController;
  let notes: WindowInfo;
  let xterm: ChildProcess;
  const pageErrors: string[] = [];

  before(async () => {
    await ensureRendererBuilt();
    await mkdir(SCREENSHOTS, { recursive: true });
    xvfb = await startXvfb([{ width: 640, height: 360 }]);
    await xvfb.paint('#ff0000');
    const env = { ...process.env, DISPLAY: xvfb.display };
    xterm = spawnTracked(
      'xterm',
      ['-T', TITLE, '-geometry', '30x8+20+20', '-bg', '#00ff00', '-e', 'sleep', '120'],
      {
        stdio: 'ignore',
        env,
      },
    );
    notes = await waitFor('the xterm window', async () =>
      (await listX11Windows(xvfb.display)).find((w) => w.name === TITLE),
    );
    session = new SharingSession(
      { ...DEFAULT_SETTINGS, host: '127.0.0.1', port: await freePort(), token: newToken(), fps: 10 },
      { display: xvfb.display, env, listScreens: () => listX11Screens(xvfb.display) },
    );
    controller = new AppController({
      session,
      listScreens: async () => withX11Thumbnails(xvfb.display, await listX11Screens(xvfb.display)),
      // What main.ts does with desktopCapturer's pictures, here grabbed by ffmpeg (no Electron binary).
      listWindows: async () =>
        Promise.all(
          windowChoices(await listX11Windows(xvfb.display)).map(async (w) => ({
            ...w,
            thumbnail: await x11WindowThumbnail(xvfb.display, w.id),
          })),
        ),
      persist: async () => undefined,
      copyText: () => undefined,
    });
    appWindow = await openAppWindow(controller, { width: 900, height: 1000 }, pageErrors);
    page = appWindow.page;
  });

  after(async () => {
    await appWindow?.close();
    controller?.close();
    await session?.stop();
    await killAll();
    await xvfb?.stop();
  });

  it('picks the xterm from the window list, with its picture; a viewer sees that window at its size', async () => {
    await page.getByRole('button', { name: 'Start sharing' }).waitFor();
    await page.getByLabel('Share', { exact: true }).selectOption('window');
    const label = `${TITLE} — XTerm (${notes.width}×${notes.height})`;
    const windowField = page.getByLabel('Window', { exact: true });
    await waitFor('the xterm in the window list', async () =>
      (await windowField.locator('option').allTextContents()).includes(label),
    );
    await windowField.selectOption({ label });
    const picture = page.getByRole('img', { name: `What the window ${TITLE} shows now` });
    await picture.waitFor({ timeout: 10_000 });
    // The picture is the green xterm (its middle pixel, as Chromium shows it).
    const shown = await runToExit(
      'ffmpeg',
      ['-v', 'error', '-i', '-', '-vf', 'crop=1:1:iw/2:ih/2', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
      { stdin: await picture.screenshot() },
    );
    assert.ok(
      near([...shown.stdout], [0, 255, 0]),
      `the thumbnail is the green window: ${[...shown.stdout]}`,
    );
    assert.equal(
      await page.getByLabel('Screen', { exact: true }).count(),
      0,
      'no screen picker for a window',
    );
    await screenshots(page, 'window-picker');

    await page.getByRole('button', { name: 'Start sharing' }).click();
    await page.getByRole('button', { name: 'Stop sharing' }).waitFor({ timeout: 20_000 });
    assert.equal(session.settings.window, notes.id);
    assert.equal(session.settings.region, '');
    const url = session.links[0].url;
    assert.equal(
      await videoSize(url),
      `${notes.width - (notes.width % 2)},${notes.height - (notes.height % 2)}`,
    );
    assert.ok(
      near(await averagePixel(url), [0, 255, 0]),
      'the viewer sees the green window, not the red desktop',
    );
    assert.deepEqual(pageErrors, []);
  });

  it('Pause shows the paused state in the window while a viewer stays connected; Resume goes back', async () => {
    const url = session.links[0].url;
    const viewer = spawnTracked('ffmpeg', ['-v', 'error', '-i', url, '-f', 'null', '-'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let closed = false;
    viewer.once('close', () => (closed = true));
    const connected = await waitFor('the viewer', () => session.viewers()[0]);

    await page.getByRole('button', { name: 'Pause sharing' }).click();
    const banner = page.getByText('Paused: viewers see a “Paused” card, and nothing of the screen.');
    await banner.waitFor({ timeout: 10_000 });
    assert.equal(session.paused, true);
    // The line next to Start/Stop says Paused, not "Live for".
    await page
      .getByRole('status')
      .getByText(/^Paused \(sharing for \d+:\d\d\), viewers see the card$/)
      .waitFor();
    assert.equal(
      await page.getByRole('button', { name: 'Resume sharing' }).getAttribute('aria-pressed'),
      'true',
    );
    // The card is spliced into the same stream: the viewer keeps its connection and goes on receiving.
    const sentAtPause = session.viewers()[0]?.bytesSent ?? 0;
    await waitFor(
      'the card reaching the viewer',
      () => (session.viewers().find((v) => v.id === connected.id)?.bytesSent ?? 0) > sentAtPause + 2000,
      { timeoutMs: 15_000 },
    );
    await screenshots(page, 'paused');
    // A viewer joining now sees the dark card (0x1e2a38, "Paused" in white), not the green window.
    const seen = await averagePixel(url);
    assert.ok(near(seen, [30, 42, 56]), `the viewer sees the card: ${seen}`);

    await page.getByRole('button', { name: 'Resume sharing' }).click();
    await page.getByRole('button', { name: 'Pause sharing' }).waitFor({ timeout: 10_000 });
    await banner.waitFor({ state: 'detached' });
    await page
      .getByRole('status')
      .getByText(/^Live for \d+:\d\d$/)
      .waitFor();
    assert.equal(session.paused, false);
    const sentAtResume = session.viewers()[0]?.bytesSent ?? 0;
    await waitFor(
      'the window again for the same viewer',
      () => (session.viewers().find((v) => v.id === connected.id)?.bytesSent ?? 0) > sentAtResume + 2000,
      { timeoutMs: 15_000 },
    );
    assert.equal(closed, false, 'the viewer never lost its connection');
    assert.ok(near(await averagePixel(url), [0, 255, 0]), 'a new viewer sees the window again');
    viewer.kill('SIGTERM');
    await page.getByRole('button', { name: 'Stop sharing' }).click();
    await page.getByRole('button', { name: 'Start sharing' }).waitFor({ timeout: 10_000 });
  });

  it('a region: a custom one outside the screen or of odd size shows the field error; the left half is shared', async () => {
    await page.getByLabel('Share', { exact: true }).selectOption('region');
    const region = page.getByLabel('Region (WxH+X+Y)');
    assert.equal(await region.inputValue(), '320x360+0+0', 'a first pick is the left half');
    assert.equal(await page.getByLabel('Part', { exact: true }).inputValue(), 'left');
    await page.getByLabel('Part', { exact: true }).selectOption('right');
    assert.equal(await region.inputValue(), '320x360+320+0');

    const fieldError = async (): Promise<string> => {
      await waitFor(
        'the region marked invalid',
        async () => (await region.getAttribute('aria-invalid')) === 'true',
        {
          timeoutMs: 15_000,
        },
      );
      return (await page.locator('#region-error').textContent()) ?? '';
    };
    await region.fill('201x100+0+0');
    assert.equal(await page.getByLabel('Part', { exact: true }).inputValue(), 'custom');
    await page.getByRole('button', { name: 'Start sharing' }).click();
    assert.match(await fieldError(), /must be even numbers of at least 16 pixels \(got 201x100\)/);
    assert.equal(session.state.kind, 'idle', 'nothing was started');

    await region.fill('400x200+300+0');
    await page.getByRole('button', { name: 'Start sharing' }).click();
    await waitFor('the outside-the-screen message', async () =>
      /reaches outside the screen/.test(await fieldError()),
    );
    assert.match(await fieldError(), /x \+ width must be at most 640/);
    await screenshots(page, 'region-error');

    await page.getByLabel('Part', { exact: true }).selectOption('left');
    await page.getByLabel('Output size').selectOption('720p');
    await page.getByRole('button', { name: 'Start sharing' }).click();
    await page.getByRole('button', { name: 'Stop sharing' }).waitFor({ timeout: 20_000 });
    assert.equal(session.settings.region, '320x360+0+0');
    assert.equal(session.settings.window, '', 'the window picked before is not sent with a region');
    assert.equal(session.settings.outputSize, '720p');
    const url = session.links[0].url;
    // 720p scales down only: a 360-line region stays as it is.
    assert.equal(await videoSize(url), '320,360');

    // Changed while sharing: checked as at start, shown next to the field, and the share goes on as it was.
    await region.fill('400x200+300+0');
    await page.getByRole('button', { name: 'Apply changes' }).click();
    assert.match(await fieldError(), /reaches outside the screen/);
    assert.equal(session.state.kind, 'live');
    assert.equal(session.settings.region, '320x360+0+0');
    assert.equal(await videoSize(url), '320,360');
    await page.getByRole('button', { name: 'Stop sharing' }).click();
    await page.getByRole('button', { name: 'Start sharing' }).waitFor({ timeout: 10_000 });
    assert.deepEqual(pageErrors, []);
  });

  it('the shared window closes: sharing stops with the reason next to the Window field', async () => {
    await page.getByLabel('Share', { exact: true }).selectOption('window');
    await page.getByLabel('Window', { exact: true }).selectOption(notes.id);
    await page.getByRole('button', { name: 'Start sharing' }).click();
    await page.getByRole('button', { name: 'Stop sharing' }).waitFor({ timeout: 20_000 });
    xterm.kill('SIGTERM');
    const error = page.locator('#window-error');
    await error.waitFor({ timeout: 30_000 });
    assert.match(
      (await error.textContent()) ?? '',
      new RegExp(`The window ${notes.id} that was being shared has closed`),
    );
    assert.equal(await page.getByLabel('Window', { exact: true }).getAttribute('aria-invalid'), 'true');
    await page.getByRole('button', { name: 'Start sharing' }).waitFor();
    assert.equal(session.state.kind, 'error');
    assert.deepEqual(pageErrors, []);
  });
});
