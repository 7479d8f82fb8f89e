/**
 * The desktop app's window end to end, without the Electron binary: the built renderer in Debian's
 * Chromium, its preload API bridged to an AppController over a real SharingSession capturing Xvfb,
 * and a real viewer (ffmpeg) watching the link.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import type {
  IpcResult,
  SaveSettingsResult,
  ScreenAccess,
  ScreenInfo,
  SessionState,
  Settings,
} from '../server/api.js';
import { listX11Screens } from '../server/screens.js';
import { SharingSession } from '../server/session/session.js';
import { DEFAULT_SETTINGS, newToken } from '../server/settings.js';
import { AppController } from '../electron/controller.js';
import { SettingsFile } from '../electron/settings-file.js';
import { PushList, PushListFile } from '../electron/push-list.js';
import { startIcecast, type Icecast } from '../support/icecast.js';
import { ensureRendererBuilt, openAppWindow, type AppWindow } from '../support/app-window.js';
import { COMPACT_WINDOW } from '../electron/close-policy.js';
import { ffmpegPath } from '../support/media.js';
import { freePort } from '../support/ports.js';
import { killAll, runToExit, spawnTracked, waitFor } from '../support/processes.js';
import { withX11Thumbnails } from '../support/thumbnails.js';
import { startXvfb, type Xvfb } from '../support/xvfb.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');

/** Another program on a port: the squatter of the port-in-use test. */
function listenOnFreePort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function screenshots(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${colorScheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

describe('the app window, driving a real sharing session', { timeout: 120_000 }, () => {
  let xvfb: Xvfb;
  let appWindow: AppWindow | undefined;
  let page: Page;
  let session: SharingSession;
  let controller: AppController;
  let screens: ScreenInfo[];
  const saved: Settings[] = [];
  const copied: string[] = [];
  const pageErrors: string[] = [];
  const states: SessionState['kind'][] = [];
  // What macOS would answer for the Screen Recording permission; Linux needs none.
  let access: ScreenAccess = 'not-needed';
  let settingsOpened = 0;
  /** When set, opening the permission settings fails with it (main's error reaches the window). */
  let settingsFailure: Error | null = null;
  // What the main process's file dialog would answer to "Choose…" for ffmpeg (null: cancelled).
  let pickedFfmpeg: string | null = null;
  // What main's save dialog would answer to "Record to file…" (null: cancelled).
  let pickedRecord: string | null = null;
  let settingsDir: string;
  let settingsFile: SettingsFile;
  let icecast: Icecast;

  before(async () => {
    await ensureRendererBuilt();
    await mkdir(SCREENSHOTS, { recursive: true });
    xvfb = await startXvfb([{ width: 640, height: 360 }]);
    await xvfb.paint('#3366cc');
    screens = await listX11Screens(xvfb.display);
    settingsDir = await mkdtemp(join(tmpdir(), 'mkvcast-app-'));
    settingsFile = new SettingsFile(join(settingsDir, 'settings.json'));
    session = new SharingSession(
      { ...DEFAULT_SETTINGS, host: '127.0.0.1', port: await freePort(), token: newToken() },
      {
        display: xvfb.display,
        env: { ...process.env, DISPLAY: xvfb.display },
        listScreens: () => listX11Screens(xvfb.display),
      },
    );
    session.on('state', (state: SessionState) => states.push(state.kind));
    controller = new AppController({
      session,
      listScreens: async () => withX11Thumbnails(xvfb.display, await listX11Screens(xvfb.display)),
      persist: async (settings) => {
        await settingsFile.save(settings);
        saved.push(settings);
      },
      copyText: (text) => void copied.push(text),
      screenAccess: () => access,
      openScreenAccessSettings: async () => {
        if (settingsFailure) throw settingsFailure;
        settingsOpened++;
      },
      pickFfmpegFile: async () => pickedFfmpeg,
      pickRecordFile: async () => pickedRecord,
      pushes: new PushList([], {
        file: new PushListFile(join(settingsDir, 'pushes.json')),
        apply: (urls) => session.setPushes(urls),
      }),
    });
    appWindow = await openAppWindow(controller, { width: 900, height: 900 }, pageErrors);
    page = appWindow.page;
  });

  after(async () => {
    await appWindow?.close();
    controller?.close();
    await session?.stop();
    await icecast?.stop();
    await killAll();
    await xvfb?.stop();
    if (settingsDir) await rm(settingsDir, { recursive: true, force: true });
  });

  it('shows the idle form with every control labelled, under its CSP, with no errors', async () => {
    await page.getByRole('heading', { name: 'mkvcast' }).waitFor();
    await page.getByRole('button', { name: 'Start sharing' }).waitFor();
    for (const label of ['Screen', 'Frame rate (fps)', 'Keyframe interval (seconds)', 'Quality', 'Port']) {
      assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, `one control labelled ${label}`);
    }
    assert.match(
      (await page.getByText(/viewers join and recover faster/).textContent()) ?? '',
      /larger/,
      'the keyframe interval says what it trades',
    );
    await page.getByText('Advanced').click();
    for (const label of [
      'Listen on address',
      'Max viewers',
      'Viewer token',
      'ffmpeg path',
      'Encoder',
      'WebRTC ports (UDP)',
    ]) {
      assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, `one control labelled ${label}`);
    }
    assert.equal(await page.getByRole('button', { name: 'New token' }).count(), 1);
    await page.getByText('Advanced').click();
    // The list arrives from listScreens() after the first render: wait for it rather than race it.
    const options = await waitFor(
      `the screen picker to list ${screens[0].name}`,
      async () => {
        const texts = await page.getByLabel('Screen').locator('option').allTextContents();
        return texts.some((o) => o.includes(screens[0].name)) ? texts : null;
      },
      { timeoutMs: 10_000 },
    );
    assert.ok(
      options.some((o) => o.includes(screens[0].name)),
      `the screen picker lists ${screens[0].name}: ${options.join(', ')}`,
    );
    await screenshots(page, 'idle');
    assert.deepEqual(pageErrors, []);
  });

  it("shows a picture of the picked screen, taken from the screen's pixels", async () => {
    const picture = page.getByRole('img', { name: `What ${screens[0].name} shows now` });
    await picture.waitFor({ timeout: 10_000 });
    const src = (await picture.getAttribute('src')) ?? '';
    assert.match(src, /^data:image\/png;base64,/);
    const width = Buffer.from(src.slice(src.indexOf(',') + 1), 'base64').readUInt32BE(16); // PNG IHDR width
    // The middle pixel as Chromium shows it (what the user sees).
    const shown = await runToExit(
      ffmpegPath,
      ['-v', 'error', '-i', '-', '-vf', 'crop=1:1:iw/2:ih/2', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
      { stdin: await picture.screenshot() },
    );
    const [red, green, blue] = shown.stdout;
    assert.equal(width, 320);
    // The screen is painted #3366cc (51, 102, 204); the PNG keeps it up to the RGB→YUV→RGB round trip.
    for (const [got, want] of [
      [red, 51],
      [green, 102],
      [blue, 204],
    ]) {
      assert.ok(Math.abs(got - want) <= 8, `thumbnail pixel ${red},${green},${blue} is the screen's colour`);
    }
  });

  it("explains macOS's missing Screen Recording permission, opens its settings, and goes away once given", async () => {
    const focus = (): Promise<unknown> => page.evaluate("window.dispatchEvent(new Event('focus'))");
    assert.equal(await page.getByRole('alert').count(), 0, 'no notice where no permission is needed');
    try {
      access = 'denied';
      await focus();
      const notice = page.getByRole('alert').filter({ hasText: 'not allowed to record the screen' });
      await notice.waitFor({ timeout: 5000 });
      assert.match((await notice.textContent()) ?? '', /Privacy & Security → Screen Recording/);
      await screenshots(page, 'permission');
      await notice.getByRole('button', { name: 'Open Screen Recording settings' }).click();
      await waitFor('the settings pane to be opened', async () => settingsOpened === 1, { timeoutMs: 5000 });
      // A request that fails in main shows what happened and what to do, not a bare IPC message.
      settingsFailure = new Error('System Settings did not open.');
      await notice.getByRole('button', { name: 'Open Screen Recording settings' }).click();
      const failed = page.locator('.error[role=alert]');
      await failed.waitFor({ timeout: 5000 });
      assert.equal(await failed.locator('.error-message').textContent(), 'System Settings did not open.');
      assert.match((await failed.locator('.error-fix').textContent()) ?? '', /Try again/);
      assert.doesNotMatch((await failed.textContent()) ?? '', /Error invoking remote method/);
      settingsFailure = null;
      await notice.getByRole('button', { name: 'Open Screen Recording settings' }).click();
      await failed.waitFor({ state: 'detached', timeout: 5000 });
      access = 'granted';
      await focus();
      await notice.waitFor({ state: 'detached', timeout: 5000 });
    } finally {
      access = 'not-needed';
    }
    assert.deepEqual(pageErrors, []);
  });

  it('is usable from the keyboard, with a visible focus ring', async () => {
    await page.getByLabel('Port', { exact: true }).focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Advanced');
    assert.equal(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle'), 'solid');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate('document.querySelector("details").open'), true, 'Enter opens Advanced');
    await page.keyboard.press('Enter');
  });

  it('sets ffmpeg only from the dialog, once checked; a path from a page script is refused', async () => {
    await page.getByText('Advanced').click();
    const field = page.getByLabel('ffmpeg path', { exact: true });
    assert.equal(await field.inputValue(), 'found automatically');
    assert.equal(await field.isEditable(), false, 'the path cannot be typed');

    const notFfmpeg = join(settingsDir, 'not-ffmpeg');
    await writeFile(notFfmpeg, '#!/bin/sh\necho "hello from a script"\n');
    await chmod(notFfmpeg, 0o755);
    pickedFfmpeg = notFfmpeg;
    await page.getByRole('button', { name: 'Choose…' }).click();
    const refusal = page.getByText(/is not ffmpeg: asked for its version, it answered "hello from a script"/);
    await refusal.waitFor({ timeout: 15_000 });
    assert.equal(await field.inputValue(), 'found automatically', 'a refused program is not taken');

    pickedFfmpeg = null; // the dialog was cancelled
    await page.getByRole('button', { name: 'Choose…' }).click();
    pickedFfmpeg = '/usr/bin/ffmpeg';
    await page.getByRole('button', { name: 'Choose…' }).click();
    await waitFor(
      'the checked ffmpeg in the field',
      async () => (await field.inputValue()) === pickedFfmpeg,
      {
        timeoutMs: 15_000,
      },
    );
    await refusal.waitFor({ state: 'detached', timeout: 5000 });

    // A script in the page can call the API, but cannot name a program for start() to run.
    const injected = (await page.evaluate(`window.mkvcast.getSettings().then(({ value }) =>
      window.mkvcast.saveSettings({ ...value, ffmpegPath: ${JSON.stringify(notFfmpeg)} }))`)) as IpcResult<SaveSettingsResult>;
    assert.ok(injected.ok, 'answered, not thrown');
    assert.equal(injected.value.ok, false);
    assert.deepEqual(!injected.value.ok && injected.value.errors.map((e) => e.field), ['ffmpegPath']);
    assert.equal(session.settings.ffmpegPath, '');
    // A request main refuses answers its code and fix across IPC, not a bare message.
    const refused = (await page.evaluate(`window.mkvcast.kick('../x')`)) as IpcResult<boolean>;
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'BAD_IPC_ARGUMENT');
    assert.match(refused.error.fix, /report/);

    await page.getByRole('button', { name: 'Use default' }).click();
    assert.equal(await field.inputValue(), 'found automatically');
    await page.getByText('Advanced').click();
    assert.deepEqual(pageErrors, []);
  });

  it("Record to file takes the file from main's save dialog (cancelled: nothing chosen)", async () => {
    await page.getByRole('button', { name: 'Record to file…' }).click();
    await page.getByTestId('record-file').getByText('Not recording.').waitFor();
    pickedRecord = join(settingsDir, 'talk');
    await page.getByRole('button', { name: 'Record to file…' }).click();
    await page.getByText('Records to talk.mkv from the next Start sharing.').waitFor();
  });

  it('starts sharing the picked screen at 15 fps, shows the link, and copies it', async () => {
    await page.getByLabel('Screen').selectOption(screens[0].id);
    await page.getByLabel('Frame rate (fps)').fill('15');
    await page.getByRole('button', { name: 'Start sharing' }).click();
    await page.getByRole('button', { name: 'Stop sharing' }).waitFor({ timeout: 20_000 });
    assert.equal(session.state.kind, 'live');
    assert.equal(session.settings.fps, 15);
    assert.equal(session.sharedScreen?.id, screens[0].id);
    assert.equal(saved.at(-1)?.fps, 15, 'the settings were stored');
    await page.getByText(/^Live for \d+:\d\d$/).waitFor();

    const url = session.links[0].url;
    await page.getByText(url, { exact: true }).waitFor();
    await page.getByRole('button', { name: `Copy link ${url}` }).click();
    await waitFor('the link copied', () => copied.includes(url));
    // The page beside the stream: what a browser or a phone (the QR code) opens.
    const pageUrl = url.replace(/live\.mkv$/, '');
    await page.getByRole('img', { name: `QR code for ${pageUrl}` }).waitFor();
    await page.getByText(pageUrl, { exact: true }).waitFor();
    await page.getByText(/Any browser opens the page link, phones included/).waitFor();
    const landing = await fetch(pageUrl);
    assert.equal(landing.status, 200);
    assert.match(await landing.text(), /whep/, 'the page plays over WebRTC');
    await page.getByText(`mpv --profile=low-latency --untimed ${url}`, { exact: true }).waitFor();
    await page.getByText(`vlc ${url}`, { exact: true }).waitFor();
    await waitFor(
      'live fps in the window',
      async () => /^(1[0-9]|[5-9])\.\d fps$/.test((await page.getByTestId('fps').textContent()) ?? ''),
      { timeoutMs: 10_000 },
    );
  });

  it('lists a real viewer, and Kick disconnects it', async () => {
    const url = session.links[0].url;
    const viewer = spawnTracked('ffmpeg', ['-v', 'error', '-i', url, '-f', 'null', '-'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => viewer.once('close', () => resolve()));
    const row = page.getByRole('row').filter({ hasText: 'ffmpeg' });
    await row.waitFor({ timeout: 10_000 });
    const cells = await row.getByRole('cell').allTextContents();
    assert.equal(cells[1], '127.0.0.1', `address in ${cells.join(' | ')}`);
    assert.match(cells[2], /^\d+:\d\d$/, 'connected for');
    assert.match(cells[3], /^\d+ ms$/, 'lag');
    assert.match(cells[4], /^\d+$/, 'skips');
    await screenshots(page, 'live');

    // 200 % zoom of a 900 px wide window: 450 CSS pixels, and nothing may need a sideways scroll.
    await page.setViewportSize({ width: 450, height: 900 });
    await page.screenshot({ path: join(SCREENSHOTS, 'live-zoom200-light.png'), fullPage: true });
    assert.equal(await page.evaluate('document.documentElement.scrollWidth <= 450'), true, 'fits at 200 %');

    // The small window main leaves when closing without a tray: the Stop button and the link in view.
    await page.setViewportSize(COMPACT_WINDOW);
    await page.screenshot({ path: join(SCREENSHOTS, 'live-compact-light.png') });
    const stop = await page.getByRole('button', { name: 'Stop sharing' }).boundingBox();
    assert.ok(stop && stop.y + stop.height <= COMPACT_WINDOW.height, 'Stop sharing is in view');
    assert.equal(await page.getByLabel('Frame rate (fps)').isVisible(), false, 'no settings form');
    const link = await page.getByText(session.links[0].url, { exact: true }).boundingBox();
    assert.ok(link && link.y + link.height <= COMPACT_WINDOW.height, 'the link is in view');
    assert.equal(
      await page.evaluate(`document.documentElement.scrollWidth <= ${COMPACT_WINDOW.width}`),
      true,
      'no sideways scroll',
    );
    await page.setViewportSize({ width: 900, height: 900 });

    await row.getByRole('button', { name: /^Kick ffmpeg/ }).click();
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    await exited;
    assert.equal(session.viewers().length, 0);
    await page.getByText('Nobody is watching yet', { exact: false }).waitFor();
  });

  it('shows the upload and, with a budget set in Advanced that it nears, the relay warning', async () => {
    const url = session.links[0].url;
    const viewer = spawnTracked('ffmpeg', ['-v', 'error', '-i', url, '-f', 'null', '-'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => viewer.once('close', () => resolve()));
    await page.getByRole('row').filter({ hasText: 'ffmpeg' }).waitFor({ timeout: 10_000 });
    await waitFor('the upload line with one copy', async () =>
      /^\d+\.\d Mbit\/s out for 1 copy$/.test((await page.getByTestId('upload').textContent()) ?? ''),
    );
    assert.equal(await page.getByTestId('upload-warning').count(), 0, 'no budget: no warning');

    // A moving picture on the shared screen, so that the stream passes 80 % of the lowest budget.
    const moving = spawnTracked(
      'mpv',
      ['--no-config', '--vo=x11', '--no-audio', '--no-border', '--geometry=640x360+0+0', '--loop=inf'].concat(
        'av://lavfi:testsrc2=size=640x360:rate=15',
      ),
      { env: { ...process.env, DISPLAY: xvfb.display }, stdio: 'ignore' },
    );
    const movingExited = new Promise<void>((resolve) => moving.once('close', () => resolve()));
    // The lowest budget the settings take; the one viewer already watching stays.
    await page.getByText('Advanced').click();
    await page.getByLabel('Upload budget (Mbit/s)').fill('0.1');
    await page.getByRole('button', { name: 'Apply changes' }).click();
    await waitFor('the budget applied', () => session.settings.maxUploadMbit === 0.1);
    await waitFor('the budget stored', () => saved.at(-1)?.maxUploadMbit === 0.1);
    const warning = page.getByTestId('upload-warning');
    await warning.waitFor({ timeout: 15_000 });
    assert.match(
      (await warning.textContent()) ?? '',
      /of the 0\.1 Mbit\/s budget.*relay \(an Icecast server\)/,
    );
    await page.getByText('Advanced').click();
    await screenshots(page, 'upload-warning');
    const recording = page.getByTestId('recording');
    await waitFor('the recording in the window', async () =>
      /talk-?\d*\.mkv: recording, [\d.]+ [kM]B$/.test((await recording.textContent()) ?? ''),
    );
    assert.ok((await stat(join(settingsDir, 'talk.mkv'))).size > 0, 'the file is written');

    await page.getByText('Advanced').click();
    await page.getByLabel('Upload budget (Mbit/s)').fill('');
    await page.getByRole('button', { name: 'Apply changes' }).click();
    await waitFor('no budget again', () => session.settings.maxUploadMbit === null);
    await warning.waitFor({ state: 'detached', timeout: 10_000 });
    await page.getByText('Advanced').click();
    viewer.kill();
    moving.kill();
    await Promise.all([exited, movingExited]);
  });

  it('a push added in Advanced while live: the password is never shown again, and its row goes live on a real Icecast', async () => {
    icecast = await startIcecast(await freePort());
    const url = icecast.pushUrl('app.mkv');
    const password = icecast.sourcePassword;
    await page.getByText('Advanced').click();
    const input = page.getByLabel('Push to a relay');
    await input.fill('icecast://nohost');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText('names no mount', { exact: false }).waitFor();
    await input.fill(url);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const entry = page.getByTestId('push-entry');
    await entry.waitFor();
    assert.equal(await input.inputValue(), '', 'the input is cleared after Add');
    assert.match((await entry.textContent()) ?? '', /icecast:\/\/127\.0\.0\.1:\d+\/app\.mkv/);
    const row = page.getByRole('row').filter({ hasText: 'Push (' });
    await waitFor(
      'the push row live with a bitrate',
      async () => /live/.test((await row.textContent()) ?? '') && (await icecast.mounts()).length > 0,
      { timeoutMs: 20_000 },
    );
    assert.deepEqual(
      (await icecast.mounts()).map((m) => m.mount),
      ['app.mkv'],
    );
    await screenshots(page, 'pushes');
    // The password is nowhere in the page, nor in what main answers the window.
    const answers = await page.evaluate<string>(`(async () => JSON.stringify([
      await window.mkvcast.getState(),
      await window.mkvcast.getSettings(),
      document.documentElement.outerHTML,
      document.body.innerText,
    ]))()`);
    assert.ok(answers.includes('app.mkv'), 'the push is in the snapshot');
    assert.ok(!answers.includes(password), 'no password in the page or its answers');
    // Main keeps the full URL, privately.
    const file = join(settingsDir, 'pushes.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.ok((await readFile(file, 'utf8')).includes(url));

    await entry.getByRole('button', { name: 'Remove' }).click();
    await entry.waitFor({ state: 'detached' });
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(session.stats().outputs?.pushes.length, 0);
    await page.getByText('Advanced').click();
  });

  it('New token while live: the link changes, the new token is stored, and the old link is refused', async () => {
    const oldUrl = session.links[0].url;
    await page.getByText('Advanced').click();
    await page.getByRole('button', { name: 'New token' }).click();
    await waitFor(
      'live with a new link',
      () => session.state.kind === 'live' && session.links[0]?.url !== oldUrl,
      {
        timeoutMs: 20_000,
      },
    );
    const token = session.settings.token as string;
    await waitFor(
      'the new token in the window',
      async () => (await page.getByLabel('Viewer token').inputValue()) === token,
    );
    assert.equal(saved.at(-1)?.token, token, 'the new token was stored');
    await page.getByText(session.links[0].url, { exact: true }).waitFor({ timeout: 10_000 });
    assert.equal((await fetch(oldUrl, { method: 'HEAD' })).status, 404, 'the old link is refused');
    assert.equal((await fetch(session.links[0].url, { method: 'HEAD' })).status, 200);
    await page.getByText('Advanced').click();
  });

  it('a setting changed while live is applied with Apply changes, and sharing goes on', async () => {
    const from = states.length;
    await page.getByLabel('Frame rate (fps)').fill('10');
    await page.getByRole('button', { name: 'Apply changes' }).click();
    // A capture setting restarts the encoder only; viewers would stay connected.
    await waitFor(
      'restarted with the new frame rate',
      () => states.slice(from).join() === 'restarting,live',
      {
        timeoutMs: 15_000,
      },
    );
    assert.equal(session.settings.fps, 10);
    await page.getByRole('button', { name: 'Apply changes' }).waitFor({ state: 'detached' });
    assert.equal(saved.at(-1)?.fps, 10, 'the change was stored');
    await page.getByRole('button', { name: 'Stop sharing' }).waitFor();
  });

  it('a change that cannot be stored still applies, and the window says why it was not stored', async () => {
    // A folder where the settings file goes: the atomic rename over it fails, as a full disk would.
    await rm(settingsFile.path, { force: true });
    await mkdir(join(settingsFile.path, 'in-the-way'), { recursive: true });
    try {
      const before = states.length;
      await page.getByLabel('Frame rate (fps)').fill('12');
      await page.getByRole('button', { name: 'Apply changes' }).click();
      const warning = page.getByRole('status').filter({ hasText: 'Could not save the settings' });
      await warning.waitFor({ timeout: 15_000 });
      assert.match((await warning.textContent()) ?? '', /new settings apply until mkvcast quits/);
      await waitFor('the new frame rate to apply', () => states.slice(before).join() === 'restarting,live', {
        timeoutMs: 15_000,
      });
      assert.equal(session.settings.fps, 12);
      await page.getByRole('button', { name: 'Stop sharing' }).waitFor();
    } finally {
      await rm(settingsFile.path, { recursive: true, force: true });
    }
    const from = states.length;
    await page.getByLabel('Frame rate (fps)').fill('10');
    await page.getByRole('button', { name: 'Apply changes' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Could not save the settings' })
      .waitFor({ state: 'detached' });
    assert.equal(saved.at(-1)?.fps, 10, 'stored again once the way is clear');
    await waitFor(
      'live at 10 fps again (the restart over, or the next test would kill its encoder)',
      () => states.slice(from).join() === 'restarting,live',
      {
        timeoutMs: 15_000,
      },
    );
  });

  it('an encoder crash shows Restarting… with the reason, then live again', async () => {
    process.kill(session.ffmpegPid as number, 'SIGKILL');
    await page
      .getByText(/^Restarting… (ffmpeg stopped|the encoder's stream broke)/)
      .waitFor({ timeout: 5000 });
    await page.getByText(/^Live for /).waitFor({ timeout: 10_000 });
    assert.equal(await page.getByRole('button', { name: 'Stop sharing' }).isEnabled(), true);
  });

  it('Stop returns to idle', async () => {
    await page.getByRole('button', { name: 'Stop sharing' }).click();
    await page.getByRole('button', { name: 'Start sharing' }).waitFor({ timeout: 10_000 });
    await page.getByText('Not sharing.').waitFor();
    assert.equal(session.state.kind, 'idle');
    assert.equal(await page.getByRole('heading', { name: /^Viewers/ }).count(), 0);
  });

  it('WebRTC ports in Advanced: a range too short for max viewers is refused next to the field; a good one reaches the WHEP answer', async () => {
    const wasOpen = await page.evaluate<boolean>('document.querySelector("details").open');
    if (!wasOpen) await page.getByText('Advanced').click();
    const field = page.getByLabel('WebRTC ports (UDP)');
    await field.fill('40000-40009');
    await page.getByRole('button', { name: 'Start sharing' }).click();
    await waitFor(
      'the WebRTC ports marked invalid',
      async () => (await field.getAttribute('aria-invalid')) === 'true',
    );
    assert.match(
      (await page.locator('#webrtc-ports-error').textContent()) ?? '',
      /^WebRTC ports 40000-40009 hold 10 browser viewers, but max viewers is 64 .*Widen the range to 64 ports or more/,
    );
    assert.equal(session.state.kind, 'idle', 'nothing was started');

    // 64 ports for the 64 viewers; werift takes a free one of them for each peer connection.
    const [low, high] = [47100, 47163];
    await field.fill(` ${low}-${high} `);
    await page.getByRole('button', { name: 'Start sharing' }).click();
    await page.getByRole('button', { name: 'Stop sharing' }).waitFor({ timeout: 20_000 });
    assert.equal(session.settings.webrtcPorts, `${low}-${high}`);
    assert.equal(saved.at(-1)?.webrtcPorts, `${low}-${high}`, 'the range was stored');
    const whep = session.links[0].url.replace(/live\.mkv$/, 'whep');
    const pc = new RTCPeerConnection({
      codecs: {
        video: [
          new RTCRtpCodecParameters({
            mimeType: 'video/H264',
            clockRate: 90000,
            parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1',
          }),
        ],
      },
      iceServers: [],
      iceUseIpv6: false,
    });
    try {
      pc.addTransceiver('video', { direction: 'recvonly' });
      await pc.setLocalDescription(await pc.createOffer());
      const response = await fetch(whep, {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp' },
        body: pc.localDescription!.sdp,
      });
      const answer = await response.text();
      assert.equal(response.status, 201, answer);
      const ports = [...answer.matchAll(/^a=candidate:\S+ \d+ udp \d+ \S+ (\d+) typ host/gim)].map((m) =>
        Number(m[1]),
      );
      assert.ok(ports.length > 0, `host candidates in ${answer}`);
      for (const port of ports)
        assert.ok(port >= low && port <= high, `candidate port ${port} in ${low}-${high}`);
      const ended = await fetch(new URL(response.headers.get('location')!, whep), { method: 'DELETE' });
      assert.equal(ended.status, 200);
    } finally {
      await pc.close();
    }
    await page.getByRole('button', { name: 'Stop sharing' }).click();
    await page.getByRole('button', { name: 'Start sharing' }).waitFor({ timeout: 10_000 });
    await field.fill('');
    if (!wasOpen) await page.getByText('Advanced').click();
  });

  it('a port below 1024 is refused with the error next to the port field', async () => {
    await page.getByLabel('Port', { exact: true }).fill('80');
    await page.getByRole('button', { name: 'Start sharing' }).click();
    const port = page.getByLabel('Port', { exact: true });
    await waitFor(
      'the port marked invalid',
      async () => (await port.getAttribute('aria-invalid')) === 'true',
    );
    const describedBy = (await port.getAttribute('aria-describedby')) ?? '';
    const error = page.locator(`#${describedBy.split(' ').find((id) => id.endsWith('-error'))}`);
    assert.equal(await error.textContent(), 'Port must be a whole number from 1024 to 65535.');
    assert.equal(session.state.kind, 'idle', 'nothing was started');
    assert.equal(session.settings.port === 80, false);
  });

  it('a port in use shows what happened and the fix next to the port field', async () => {
    const squatter = await listenOnFreePort();
    const address = squatter.address();
    const taken = typeof address === 'object' && address ? address.port : 0;
    try {
      await page.getByLabel('Port', { exact: true }).fill(String(taken));
      await page.getByRole('button', { name: 'Start sharing' }).click();
      const error = page.locator('#port-error');
      await error.waitFor({ timeout: 20_000 });
      await waitFor('the in-use message', async () =>
        (await error.textContent())?.startsWith(`Port ${taken} is in use by another program.`),
      );
      assert.match((await error.textContent()) ?? '', /Pick another/, 'the fix is shown');
      assert.equal(await page.getByLabel('Port', { exact: true }).getAttribute('aria-invalid'), 'true');
      await page.getByRole('button', { name: 'Start sharing' }).waitFor();
      assert.equal(session.state.kind, 'error');
      await screenshots(page, 'error');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    assert.deepEqual(pageErrors, [], 'no script errors or CSP violations in the page');
  });
});
