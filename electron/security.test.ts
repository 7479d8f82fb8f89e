/**
 * Electron's security checklist (https://www.electronjs.org/docs/latest/tutorial/security), one check
 * per item. What main.ts hands to Electron is built by plain functions (window-security.ts, ipc.ts,
 * app-protocol.ts), and these are called here and their behaviour checked. Electron's binary cannot run
 * here, so only the wiring (that main.ts passes those functions to Electron, and nothing else) is read
 * from main.ts's text, with patterns as small as that allows. The IPC handlers' behaviour is checked in
 * ipc.test.ts, item 7's header and item 18 in app-protocol.test.ts, item 19 in test/packaging.test.ts,
 * item 20 in preload.test.ts; docs/reliability.md lists them all.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { APP_CSP } from './app-protocol.js';
import {
  lockDownContents,
  lockDownSession,
  windowOptions,
  type Cancellable,
  type PermissionSession,
} from './window-security.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const MAIN = read('electron/main.ts');
const PRELOAD = read('electron/preload.ts');
const RENDERER = readdirSync(join(ROOT, 'renderer/src'))
  .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.test.ts'))
  .map((f) => read(`renderer/src/${f}`))
  .join('\n');
const count = (text: string, pattern: RegExp): number => text.match(new RegExp(pattern, 'g'))?.length ?? 0;

const FILES = { preload: '/app/dist/electron/preload.cjs', icon: '/app/assets/icon.png' };

/** A web contents as lockDownContents sees it: its listeners and its window-open handler, to call. */
class FakeContents {
  readonly listeners = new Map<string, ((event: Cancellable) => void)[]>();
  openHandler: (() => { action: string }) | null = null;
  on(event: string, listener: (event: Cancellable) => void): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  setWindowOpenHandler(handler: () => { action: 'deny' }): void {
    this.openHandler = handler;
  }
  /** Emits `event` as Electron would; true when a listener cancelled it. */
  emit(event: string): boolean {
    let cancelled = false;
    for (const listener of this.listeners.get(event) ?? [])
      listener({ preventDefault: () => (cancelled = true) });
    return cancelled;
  }
}

describe("Electron's security checklist", () => {
  it('1, 18: the window loads only its own page, from the mkvcast:// scheme, never http or file', () => {
    // Wiring only: where the window goes is one call in main.ts.
    assert.deepEqual(MAIN.match(/\.load(URL|File)\([^)]*\)/g), ['.loadURL(APP_INDEX_URL)']);
    assert.match(
      MAIN,
      /protocol\.handle\(APP_SCHEME, \(request\) => appResponse\(request\.url, RENDERER\)\)/,
    );
    assert.match(
      MAIN,
      /registerSchemesAsPrivileged\(\[\{ scheme: APP_SCHEME, privileges: \{ standard: true, secure: true \} \}\]\)/,
    );
  });

  it('2, 3, 4, 6, 8, 9, 10, 11: no Node.js in the page, isolation, sandbox, web security, nothing experimental', () => {
    for (const devTools of [true, false]) {
      const preferences = windowOptions({ ...FILES, devTools }).webPreferences ?? {};
      assert.deepEqual(
        {
          contextIsolation: preferences.contextIsolation,
          sandbox: preferences.sandbox,
          nodeIntegration: preferences.nodeIntegration,
          nodeIntegrationInWorker: preferences.nodeIntegrationInWorker,
          nodeIntegrationInSubFrames: preferences.nodeIntegrationInSubFrames,
          webSecurity: preferences.webSecurity,
          allowRunningInsecureContent: preferences.allowRunningInsecureContent,
          experimentalFeatures: preferences.experimentalFeatures,
          webviewTag: preferences.webviewTag,
          enableBlinkFeatures: preferences.enableBlinkFeatures,
          preload: preferences.preload,
          devTools: preferences.devTools,
        },
        {
          contextIsolation: true,
          sandbox: true,
          nodeIntegration: false,
          nodeIntegrationInWorker: false,
          nodeIntegrationInSubFrames: false,
          webSecurity: true,
          allowRunningInsecureContent: false,
          experimentalFeatures: false,
          webviewTag: false,
          enableBlinkFeatures: undefined,
          preload: FILES.preload,
          devTools,
        },
      );
    }
    // Wiring only: the one window is made from these options, with nothing added.
    assert.equal(count(MAIN, /new BrowserWindow\(/), 1);
    assert.match(MAIN, /new BrowserWindow\(\s*windowOptions\(\{[^}]*\}\),?\s*\)/);
  });

  it('5: every permission request and check is refused', () => {
    type RequestHandler = Parameters<PermissionSession['setPermissionRequestHandler']>[0];
    const handlers: { request?: RequestHandler; check?: () => boolean } = {};
    lockDownSession({
      setPermissionRequestHandler: (handler) => (handlers.request = handler),
      setPermissionCheckHandler: (handler) => (handlers.check = handler),
    });
    const { request, check } = handlers;
    assert.ok(request && check, 'both handlers are set');
    for (const permission of [
      'media',
      'display-capture',
      'geolocation',
      'notifications',
      'clipboard-read',
      'openExternal',
    ]) {
      const answers: boolean[] = [];
      request({}, permission, (granted) => answers.push(granted));
      assert.deepEqual(answers, [false], permission);
    }
    assert.equal(check(), false);
    // Wiring only: the default session (the window's) gets these handlers.
    assert.match(MAIN, /lockDownSession\(electronSession\.defaultSession\)/);
  });

  it('7: a strict Content-Security-Policy in the page, without unsafe-inline or unsafe-eval', () => {
    const csp = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(
      read('renderer/index.html'),
    )?.[1];
    assert.match(csp ?? '', /^default-src 'none'; script-src 'self';/);
    assert.doesNotMatch(csp ?? '', /unsafe-|\*|http:|https:/);
    assert.ok(APP_CSP.startsWith(csp ?? '\0'), 'the header sent with every file says the same, and more');
  });

  it('12, 13, 14: every web contents refuses navigation, redirects, webviews and new windows', () => {
    const contents = new FakeContents();
    lockDownContents(contents);
    for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      assert.equal(contents.emit(event), true, `${event} is cancelled`);
    }
    assert.deepEqual(contents.openHandler?.(), { action: 'deny' });
    // Wiring only: every web contents the app creates is locked down as it is created.
    assert.match(
      MAIN,
      /app\.on\('web-contents-created', \(_event, contents\) => lockDownContents\(contents\)\)/,
    );
    assert.doesNotMatch(RENDERER, /<webview|webviewTag/);
  });

  it('15: shell.openExternal only opens the fixed Screen Recording settings pane', () => {
    // Static: a call that opens another program's URL cannot run without Electron.
    assert.deepEqual(MAIN.match(/shell\.openExternal\([^)]*\)/g), [
      'shell.openExternal(SCREEN_RECORDING_PANE)',
    ]);
    assert.doesNotMatch(RENDERER + PRELOAD, /openExternal/);
  });

  it('16: a supported Electron (one of the three newest majors; 45 is the newest on 2026-11-25)', () => {
    const wanted = (JSON.parse(read('package.json')) as { devDependencies: Record<string, string> })
      .devDependencies.electron;
    assert.ok(Number(/\d+/.exec(wanted)?.[0]) >= 43, `electron ${wanted}`);
  });

  it('17: IPC goes through registerIpc alone (its sender and argument checks run in ipc.test.ts)', () => {
    // Wiring only: ipcMain is handed to registerIpc and used nowhere else.
    assert.deepEqual(MAIN.match(/ipcMain\b.*$/gm), [
      'ipcMain,',
      'ipcMain, APP_INDEX_URL, requestHandlers(controller));',
    ]);
  });

  it('20: the preload exposes one object of named calls, never ipcRenderer or Node', () => {
    assert.equal(count(PRELOAD, /exposeInMainWorld\(/), 1);
    assert.match(PRELOAD, /exposeInMainWorld\('mkvcast', api\)/);
    assert.doesNotMatch(PRELOAD, /exposeInMainWorld\([^)]*ipcRenderer|require\(|process\./);
  });

  it('the page itself runs no string as code and sets no raw HTML', () => {
    assert.doesNotMatch(RENDERER, /dangerouslySetInnerHTML|innerHTML|eval\(|new Function\(/);
  });
});
