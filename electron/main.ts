/**
 * The Electron main process: one window, a tray, IPC to an AppController over a SharingSession, and
 * the settings file. Everything worth testing alone lives in the modules it imports.
 */
import {
  app,
  BrowserWindow,
  clipboard,
  desktopCapturer,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  powerMonitor,
  protocol,
  screen,
  session as electronSession,
  shell,
  systemPreferences,
  Tray,
  type MenuItemConstructorOptions,
  type OpenDialogOptions,
  type SaveDialogOptions,
} from 'electron';
import { networkInterfaces } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC, type ScreenAccess, type ScreenInfo, type WindowChoice } from '../server/api.js';
import { screensFromDisplays, x11Problem } from '../server/screens.js';
import { SharingSession } from '../server/session/session.js';
import { listX11Windows } from '../server/windows.js';
import { APP_INDEX_URL, APP_SCHEME, appResponse } from './app-protocol.js';
import { closeAction, closeChoice, CLOSE_QUESTION, COMPACT_WINDOW } from './close-policy.js';
import { AppController } from './controller.js';
import { withCheckedFfmpeg } from './ffmpeg-path.js';
import { registerIpc, requestHandlers } from './ipc.js';
import { appCapture, PortalCapture } from './portal-capture.js';
import { pushTo } from './push.js';
import { NetworkWatch } from './network-watch.js';
import { mayTakeThumbnails, SCREEN_RECORDING_PANE, screenAccessFrom, withThumbnails } from './screens.js';
import { sandboxNotice } from './sandbox-notice.js';
import { SettingsFile } from './settings-file.js';
import { PushList, PushListFile } from './push-list.js';
import { startupFailure } from './startup-error.js';
import { trayVisible } from './tray-host.js';
import { trayIconFile, trayModel, type TrayAction } from './tray-menu.js';
import {
  windowChoices,
  windowChoicesByTitle,
  withWindowThumbnails,
  type NamedWindowSource,
} from './windows.js';
import { lockDownContents, lockDownSession, windowOptions } from './window-security.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/electron
const ROOT = join(HERE, '..', '..');
const RENDERER = join(ROOT, 'renderer', 'dist');
const PRELOAD = join(HERE, 'preload.cjs');
const ASSETS = join(ROOT, 'assets');

let window: BrowserWindow | null = null;
let tray: Tray | null = null;
let quitting = false;
/** What closing the window does, once main() has a session (before that, the window just closes). */
let onWindowClose: ((win: BrowserWindow) => void) | null = null;
/** The environment x11grab is checked against: `--capture=x11` on Wayland captures through XWayland, as asked. */
let captureEnv: NodeJS.ProcessEnv = process.env;

function currentScreens(): ScreenInfo[] {
  return screensFromDisplays(screen.getAllDisplays(), screen.getPrimaryDisplay().id);
}

/** Electron's displays, unless x11grab could not capture them (Wayland, no DISPLAY): then why not. */
async function capturableScreens(): Promise<ScreenInfo[]> {
  const problem = process.platform === 'linux' ? x11Problem(captureEnv, process.env.DISPLAY) : null;
  if (problem) throw problem;
  return currentScreens();
}

function screenAccess(): ScreenAccess {
  return screenAccessFrom(process.platform, () => systemPreferences.getMediaAccessStatus('screen'));
}

const THUMBNAIL_SIZE = { width: 320, height: 180 };
const THUMBNAIL_TIMEOUT_MS = 3000;

/** The screens for the picker: capturableScreens() with a thumbnail each, when the system gives them quickly. */
async function pickerScreens(): Promise<ScreenInfo[]> {
  const screens = await capturableScreens();
  if (!mayTakeThumbnails(screenAccess())) return screens;
  let timer: NodeJS.Timeout | undefined;
  try {
    const sources = await Promise.race([
      desktopCapturer.getSources({ types: ['screen'], thumbnailSize: THUMBNAIL_SIZE }),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('no answer in 3 s')), THUMBNAIL_TIMEOUT_MS);
      }),
    ]);
    return withThumbnails(
      screens,
      sources.map((s) => ({
        displayId: s.display_id,
        dataUrl: s.thumbnail.isEmpty() ? '' : s.thumbnail.toDataURL(),
      })),
    );
  } catch (error) {
    // The picker works without pictures: say why once in the log and go on.
    console.warn('mkvcast: no screen thumbnails:', error instanceof Error ? error.message : error);
    return screens;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The windows for the picker, with desktopCapturer's thumbnails where it gives them quickly: on X11 the
 * X windows (x11grab captures by id); on Windows desktopCapturer's windows by title (gdigrab captures by
 * title). macOS has none: ffmpeg 5.1 cannot capture a window there.
 */
async function pickerWindows(): Promise<WindowChoice[]> {
  if (process.platform === 'win32') return windowChoicesByTitle(await windowSources());
  const display = process.env.DISPLAY;
  if (process.platform !== 'linux' || !display) return [];
  const windows = windowChoices(await listX11Windows(display));
  if (windows.length === 0) return windows;
  try {
    return withWindowThumbnails(windows, await windowSources());
  } catch (error) {
    console.warn('mkvcast: no window thumbnails:', error instanceof Error ? error.message : error);
    return windows;
  }
}

/** desktopCapturer's windows with their names and thumbnails; rejects after THUMBNAIL_TIMEOUT_MS. */
async function windowSources(): Promise<NamedWindowSource[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const sources = await Promise.race([
      desktopCapturer.getSources({ types: ['window'], thumbnailSize: THUMBNAIL_SIZE }),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('no answer in 3 s')), THUMBNAIL_TIMEOUT_MS);
      }),
    ]);
    return sources.map((s) => ({
      id: s.id,
      name: s.name,
      dataUrl: s.thumbnail.isEmpty() ? '' : s.thumbnail.toDataURL(),
    }));
  } finally {
    clearTimeout(timer);
  }
}

const push = pushTo(() => (window && !window.isDestroyed() ? window.webContents : null));

/** The file dialog for "Choose…" next to the ffmpeg path: the picked file, or null. */
async function pickFfmpegFile(): Promise<string | null> {
  const options: OpenDialogOptions = {
    title: 'Choose the ffmpeg program',
    properties: ['openFile', 'dontAddToRecent'],
    ...(process.platform === 'win32' ? { filters: [{ name: 'Programs', extensions: ['exe'] }] } : {}),
  };
  const parent = window && !window.isDestroyed() ? window : null;
  const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

/** The save dialog for "Record to file…": the chosen path, or null. */
async function pickRecordFile(): Promise<string | null> {
  const options: SaveDialogOptions = {
    title: 'Record the share to',
    defaultPath: 'mkvcast-recording.mkv',
    filters: [{ name: 'Matroska video', extensions: ['mkv'] }],
    properties: ['createDirectory', 'showOverwriteConfirmation', 'dontAddToRecent'],
  };
  const parent = window && !window.isDestroyed() ? window : null;
  const result = parent ? await dialog.showSaveDialog(parent, options) : await dialog.showSaveDialog(options);
  return result.canceled || !result.filePath ? null : result.filePath;
}

function showWindow(): void {
  if (!window || window.isDestroyed()) window = createWindow();
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(
    windowOptions({ preload: PRELOAD, icon: join(ASSETS, 'icon.png'), devTools: !app.isPackaged }),
  );
  win.once('ready-to-show', () => win.show());
  // Closing the window never hides a live share where nobody can see it (close-policy.ts).
  win.on('close', (event) => {
    if (quitting || !onWindowClose) return;
    event.preventDefault();
    onWindowClose(win);
  });
  void win.loadURL(APP_INDEX_URL);
  return win;
}

/** Every web page the app creates: no permissions, no navigation, no new windows, no webviews. */
function lockDown(): void {
  lockDownSession(electronSession.defaultSession);
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents));
}

function updateTray(session: SharingSession, run: (action: TrayAction) => void): void {
  if (!tray) return;
  const model = trayModel(session.state, session.links, session.viewers().length, session.paused);
  tray.setImage(
    nativeImage.createFromPath(join(ASSETS, trayIconFile(process.platform, model.live, model.paused))),
  );
  tray.setToolTip(model.tooltip);
  const template: MenuItemConstructorOptions[] = model.items.map((item) =>
    item.kind === 'separator'
      ? { type: 'separator' }
      : item.kind === 'info'
        ? { label: item.label, enabled: false }
        : { label: item.label, enabled: item.enabled, click: () => run(item.action) },
  );
  tray.setContextMenu(Menu.buildFromTemplate(template));
}

async function main(): Promise<void> {
  // Never run without the sandbox silently (the AppImage's launcher may have turned it off).
  const notice = sandboxNotice(app.commandLine.hasSwitch('no-sandbox'), process.env);
  if (notice && (await dialog.showMessageBox(notice)).response !== 0) {
    app.exit(0);
    return;
  }
  lockDown();
  protocol.handle(APP_SCHEME, (request) => appResponse(request.url, RENDERER));
  const settingsFile = new SettingsFile(join(app.getPath('userData'), 'settings.json'));
  const loaded = await settingsFile.load();
  const checked = await withCheckedFfmpeg(loaded.settings);
  for (const warning of [...loaded.warnings, checked.warning ?? []].flat())
    console.warn(`mkvcast: ${warning}`);

  // Wayland: the desktop's ScreenCast portal, as `mkvcast share` picks it; `--capture=portal|x11` overrides.
  const capture = appCapture(app.commandLine.getSwitchValue('capture'), process.env, process.platform);
  if (capture.warning) console.warn(`mkvcast: ${capture.warning}`);
  const portal =
    process.platform === 'linux' && capture.backend === 'portal' ? new PortalCapture(process.env) : null;
  if (capture.backend === 'x11' && process.env.XDG_SESSION_TYPE === 'wayland')
    captureEnv = { ...process.env, XDG_SESSION_TYPE: 'x11' };
  const session = new SharingSession(
    checked.settings,
    portal ? portal.sessionDeps() : { listScreens: capturableScreens, env: captureEnv },
  );
  // The pushes' URLs (passwords, stream keys) live in their own private file, never in settings.json.
  const pushFile = new PushListFile(join(app.getPath('userData'), 'pushes.json'));
  const loadedPushes = await pushFile.load();
  for (const warning of loadedPushes.warnings) console.warn(`mkvcast: ${warning}`);
  const pushes = new PushList(loadedPushes.pushes, {
    file: pushFile,
    apply: (urls) => session.setPushes(urls),
  });
  await session.setPushes(pushes.urls);
  const controller = new AppController({
    session,
    listScreens: pickerScreens,
    persist: (settings) => settingsFile.save(settings),
    copyText: (text) => clipboard.writeText(text),
    screenAccess,
    pickFfmpegFile,
    pickRecordFile,
    listWindows: pickerWindows,
    pushes,
    ...(portal ? { portal } : {}),
    ...(process.platform === 'darwin'
      ? { openScreenAccessSettings: () => shell.openExternal(SCREEN_RECORDING_PANE) }
      : {}),
  });
  registerIpc(ipcMain, APP_INDEX_URL, requestHandlers(controller));

  const runTrayAction = (action: TrayAction): void => {
    switch (action) {
      case 'start':
        // A failure shows as the session's error state, in the window and the tray.
        void controller.start();
        return;
      case 'stop':
        void controller.stop();
        return;
      case 'copy-link': {
        const link = session.links[0];
        if (link) clipboard.writeText(link.url);
        return;
      }
      case 'show':
        showWindow();
        return;
      case 'quit':
        app.quit();
        return;
      case 'pause':
      case 'resume':
        try {
          controller.setPaused(action === 'pause');
        } catch (error) {
          // The window shows the session's refusal when asked from there; the tray can only log it.
          console.warn('mkvcast: pause:', error instanceof Error ? error.message : error);
        }
        return;
    }
  };
  const refreshTray = (): void => updateTray(session, runTrayAction);

  controller.on('state', (state, links) => {
    push(IPC.pushState, { state, links });
    refreshTray();
  });
  controller.on('viewers', (viewers) => {
    push(IPC.pushViewers, viewers);
    refreshTray();
  });
  controller.on('stats', (stats) => push(IPC.pushStats, stats));
  controller.on('paused', (paused) => {
    push(IPC.pushPaused, paused);
    refreshTray();
  });
  controller.on('notice', (notice) => push(IPC.pushNotice, notice));
  const pushScreens = (): void => {
    pickerScreens().then(
      (screens) => push(IPC.pushScreens, screens),
      // Wayland or no DISPLAY: the window already shows why from its first listScreens().
      () => undefined,
    );
  };
  screen.on('display-added', pushScreens);
  screen.on('display-removed', pushScreens);
  screen.on('display-metrics-changed', pushScreens);

  tray = new Tray(nativeImage.createFromPath(join(ASSETS, trayIconFile(process.platform, false))));
  tray.on('click', showWindow);
  refreshTray();

  // The links follow the machine's addresses: after sleep, and when the network changes.
  const refreshLinks = (): void => {
    push(IPC.pushState, { state: session.state, links: session.links });
    refreshTray();
  };
  powerMonitor.on('resume', refreshLinks);
  const networkWatch = new NetworkWatch({
    read: networkInterfaces,
    onChange: refreshLinks,
    intervalMs: NETWORK_POLL_MS,
  });

  onWindowClose = (win) => void closeWindow(win, session.state);

  // Quit stops ffmpeg and the server first, then lets the app exit.
  let stopped = false;
  app.on('before-quit', (event) => {
    quitting = true;
    if (stopped) return;
    event.preventDefault();
    networkWatch.close();
    controller.close();
    session
      .stop()
      .catch((error: unknown) => console.error('mkvcast: stopping the session failed:', error))
      .then(() => portal?.close())
      .catch((error: unknown) => console.error('mkvcast: closing the Wayland screen cast failed:', error))
      .finally(() => {
        stopped = true;
        app.quit();
      });
  });
  app.on('window-all-closed', () => app.quit());
  // macOS: a click on the Dock icon brings the window back.
  app.on('activate', showWindow);

  window = createWindow();
}

const NETWORK_POLL_MS = 5000;

/** Hides the window, quits, or asks (close-policy.ts), from the session's state and whether the tray is seen. */
async function closeWindow(win: BrowserWindow, state: SharingSession['state']): Promise<void> {
  const action = closeAction(state, tray !== null && (await trayVisible(process.platform)));
  if (action === 'hide') {
    win.hide();
    return;
  }
  if (action === 'quit') {
    app.quit();
    return;
  }
  const { response } = await dialog.showMessageBox(win, CLOSE_QUESTION);
  switch (closeChoice(response)) {
    case 'stop-and-quit':
      app.quit(); // before-quit stops the session first
      return;
    case 'keep-small':
      win.setMinimumSize(COMPACT_WINDOW.width, COMPACT_WINDOW.height);
      win.setSize(COMPACT_WINDOW.width, COMPACT_WINDOW.height);
      win.show();
      return;
    case 'cancel':
      return;
  }
}

/** An error inside main() (no window yet): say what failed in a dialog, then exit non-zero. */
function failToStart(error: unknown): void {
  console.error('mkvcast could not start:', error);
  const { title, content } = startupFailure(error);
  dialog.showErrorBox(title, content);
  app.exit(1);
}

// The window's page comes from mkvcast://app/ (see app-protocol.ts); the scheme must be known before ready.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', showWindow);
  app.whenReady().then(main).catch(failToStart);
}
