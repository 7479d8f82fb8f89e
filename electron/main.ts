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
  protocol,
  screen,
  session as electronSession,
  shell,
  systemPreferences,
  Tray,
  type MenuItemConstructorOptions,
  type OpenDialogOptions,
} from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC, type ScreenAccess, type ScreenInfo } from '../server/api.js';
import { screensFromDisplays, x11Problem } from '../server/screens.js';
import { SharingSession } from '../server/session/session.js';
import { APP_INDEX_URL, APP_SCHEME, appResponse } from './app-protocol.js';
import { AppController } from './controller.js';
import { withCheckedFfmpeg } from './ffmpeg-path.js';
import { registerIpc, requestHandlers } from './ipc.js';
import { pushTo } from './push.js';
import { mayTakeThumbnails, SCREEN_RECORDING_PANE, screenAccessFrom, withThumbnails } from './screens.js';
import { SettingsFile } from './settings-file.js';
import { trayIconFile, trayModel, type TrayAction } from './tray-menu.js';
import { lockDownContents, lockDownSession, windowOptions } from './window-security.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/electron
const ROOT = join(HERE, '..', '..');
const RENDERER = join(ROOT, 'renderer', 'dist');
const PRELOAD = join(HERE, 'preload.cjs');
const ASSETS = join(ROOT, 'assets');

let window: BrowserWindow | null = null;
let tray: Tray | null = null;
let quitting = false;

function currentScreens(): ScreenInfo[] {
  return screensFromDisplays(screen.getAllDisplays(), screen.getPrimaryDisplay().id);
}

/** Electron's displays, unless x11grab could not capture them (Wayland, no DISPLAY): then why not. */
async function capturableScreens(): Promise<ScreenInfo[]> {
  const problem = process.platform === 'linux' ? x11Problem(process.env, process.env.DISPLAY) : null;
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
  // Closing the window keeps sharing (the tray stays); Quit stops it.
  win.on('close', (event) => {
    if (!quitting && tray) {
      event.preventDefault();
      win.hide();
    }
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
  const model = trayModel(session.state, session.links, session.viewers().length);
  tray.setImage(nativeImage.createFromPath(join(ASSETS, trayIconFile(process.platform, model.live))));
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
  lockDown();
  protocol.handle(APP_SCHEME, (request) => appResponse(request.url, RENDERER));
  const settingsFile = new SettingsFile(join(app.getPath('userData'), 'settings.json'));
  const loaded = await settingsFile.load();
  const checked = await withCheckedFfmpeg(loaded.settings);
  for (const warning of [...loaded.warnings, checked.warning ?? []].flat())
    console.warn(`mkvcast: ${warning}`);

  const session = new SharingSession(checked.settings, { listScreens: capturableScreens });
  const controller = new AppController({
    session,
    listScreens: pickerScreens,
    persist: (settings) => settingsFile.save(settings),
    copyText: (text) => clipboard.writeText(text),
    screenAccess,
    pickFfmpegFile,
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

  // Quit stops ffmpeg and the server first, then lets the app exit.
  let stopped = false;
  app.on('before-quit', (event) => {
    quitting = true;
    if (stopped) return;
    event.preventDefault();
    controller.close();
    session
      .stop()
      .catch((error: unknown) => console.error('mkvcast: stopping the session failed:', error))
      .finally(() => {
        stopped = true;
        app.quit();
      });
  });
  app.on('window-all-closed', () => {
    if (!tray) app.quit();
  });

  window = createWindow();
}

// The window's page comes from mkvcast://app/ (see app-protocol.ts); the scheme must be known before ready.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', showWindow);
  app.whenReady().then(main, (error: unknown) => {
    console.error('mkvcast could not start:', error);
    app.exit(1);
  });
}
