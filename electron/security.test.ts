/**
 * Electron's security checklist (https://www.electronjs.org/docs/latest/tutorial/security), one check
 * per item, read from the sources: Electron's binary cannot run here, so what main.ts asks of it is
 * checked as written. Items 7 and 18 are also run for real in app-protocol.test.ts, item 19 in
 * test/packaging.test.ts, item 20 in preload.test.ts; docs/reliability.md lists them all.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const MAIN = read('electron/main.ts');
const PRELOAD = read('electron/preload.ts');
const RENDERER = readdirSync(join(ROOT, 'renderer/src'))
  .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.test.ts'))
  .map((f) => read(`renderer/src/${f}`))
  .join('\n');
const WEB_PREFERENCES = /webPreferences: \{([^}]*)\}/.exec(MAIN)?.[1] ?? '';
const count = (text: string, pattern: RegExp): number => text.match(new RegExp(pattern, 'g'))?.length ?? 0;

describe("Electron's security checklist, in electron/main.ts as written", () => {
  it('1, 18: the window loads only its own page, from the mkvcast:// scheme, never http or file', () => {
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

  it('2, 3, 4, 6: no Node.js in the page, context isolation, the sandbox, web security on', () => {
    assert.ok(WEB_PREFERENCES, 'one BrowserWindow with webPreferences');
    assert.equal(count(MAIN, /new BrowserWindow\(/), 1);
    for (const setting of [
      'contextIsolation: true',
      'sandbox: true',
      'nodeIntegration: false',
      'webSecurity: true',
    ]) {
      assert.ok(WEB_PREFERENCES.includes(setting), setting);
    }
    assert.doesNotMatch(MAIN, /nodeIntegrationIn(Worker|SubFrames)/);
  });

  it('5: every permission request and check is refused', () => {
    assert.match(
      MAIN,
      /setPermissionRequestHandler\(\(_contents, _permission, callback\) => callback\(false\)\)/,
    );
    assert.match(MAIN, /setPermissionCheckHandler\(\(\) => false\)/);
  });

  it('7: a strict Content-Security-Policy, without unsafe-inline or unsafe-eval', () => {
    const csp = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(
      read('renderer/index.html'),
    )?.[1];
    assert.match(csp ?? '', /^default-src 'none'; script-src 'self';/);
    assert.doesNotMatch(csp ?? '', /unsafe-|\*|http:|https:/);
  });

  it('8, 9, 10: no insecure content, no experimental features, no Blink features turned on', () => {
    for (const setting of ['allowRunningInsecureContent', 'experimentalFeatures', 'enableBlinkFeatures']) {
      assert.ok(!MAIN.includes(setting), setting);
    }
  });

  it('11, 12: no <webview>, and any attempt to attach one is refused', () => {
    assert.doesNotMatch(RENDERER, /<webview|webviewTag/);
    assert.doesNotMatch(MAIN, /webviewTag: true/);
    assert.match(MAIN, /contents\.on\('will-attach-webview', \(event\) => event\.preventDefault\(\)\)/);
  });

  it('13, 14: no navigation, no redirects, no new windows, for every web contents', () => {
    assert.match(MAIN, /app\.on\('web-contents-created'/);
    assert.match(MAIN, /contents\.on\('will-navigate', \(event\) => event\.preventDefault\(\)\)/);
    assert.match(MAIN, /contents\.on\('will-redirect', \(event\) => event\.preventDefault\(\)\)/);
    assert.match(MAIN, /contents\.setWindowOpenHandler\(\(\) => \(\{ action: 'deny' \}\)\)/);
  });

  it('15: shell.openExternal only opens the fixed Screen Recording settings pane', () => {
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

  it('17: every IPC handler checks its sender before its arguments', () => {
    assert.equal(count(MAIN, /ipcMain\.handle\(/), 1, 'one place registers handlers: handle()');
    assert.doesNotMatch(MAIN, /ipcMain\.on\(|ipcMain\.once\(|ipcMain\.handleOnce\(/);
    assert.match(MAIN, /if \(!isAppSender\(event\.senderFrame\?\.url, APP_INDEX_URL\)\) \{\s*throw/);
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
