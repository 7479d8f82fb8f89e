/**
 * The built main process (dist/electron/main.js) run under plain Node, with support/fake-electron.ts
 * standing in for the `electron` module: the real main.ts, AppController, SharingSession, ffmpeg and
 * renderer files, only Electron replaced by a recording fake. What this does not prove (the real
 * binary's sandbox, tray, dialogs, window) is listed in the README's "The main process under Node".
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  IPC,
  type AddPushResult,
  type IpcResult,
  type PushEntry,
  type SessionSnapshot,
  type StartResult,
} from '../server/api.js';
import { APP_CSP, APP_INDEX_URL } from '../electron/app-protocol.js';
import { REQUEST_CHANNELS } from '../electron/requests.js';
import { SettingsFile } from '../electron/settings-file.js';
import { DEFAULT_SETTINGS } from '../server/settings.js';
import type { Call, Command } from '../support/fake-electron.js';
import { freePort } from '../support/ports.js';
import { childPids, isAlive, waitFor } from '../support/processes.js';
import { startXvfb, type Xvfb } from '../support/xvfb.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'dist/electron/main.js');
const REGISTER = join(ROOT, 'dist/support/fake-electron-register.js');

type Ask = Command extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

/** main.js in a child Node with the fake electron, driven over the fork's IPC channel. */
class MainProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  stderr = '';

  constructor(env: NodeJS.ProcessEnv, args: string[] = []) {
    this.child = fork(MAIN, args, {
      execArgv: ['--import', REGISTER],
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (text: string) => (this.stderr = (this.stderr + text).slice(-8000)));
    this.child.on('message', (answer: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      const waiter = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      if (answer.ok) waiter?.resolve(answer.value);
      else waiter?.reject(new Error(answer.error));
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  ask<T>(command: Ask): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...command, id });
    });
  }

  calls(): Promise<Call[]> {
    return this.ask<Call[]>({ cmd: 'calls' });
  }

  invoke<T>(channel: string, from: string, ...args: unknown[]): Promise<IpcResult<T>> {
    return this.ask<IpcResult<T>>({ cmd: 'invoke', channel, from, args });
  }
}

const names = (calls: Call[]): string[] => calls.map((c) => c.name);

const REQUEST_CHANNEL_LIST = Object.values(REQUEST_CHANNELS).sort();

/** The environment for the child: its own settings folder, the Xvfb display, no desktop session bus. */
function childEnv(userData: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FAKE_ELECTRON_USER_DATA: userData, ...extra };
  delete env.WAYLAND_DISPLAY;
  delete env.XDG_SESSION_TYPE;
  // No StatusNotifierWatcher can answer: a tray nobody sees, as on GNOME without AppIndicator.
  env.DBUS_SESSION_BUS_ADDRESS = 'unix:path=/nonexistent/bus';
  return env;
}

describe('the built main process under a recording fake electron', () => {
  let xvfb: Xvfb;
  let dir: string;
  let main: MainProcess;
  let port: number;
  let ffmpegPid = 0;

  before(async () => {
    xvfb = await startXvfb([{ width: 640, height: 360 }]);
    dir = await mkdtemp(join(tmpdir(), 'mkvcast-main-'));
    port = await freePort();
    await new SettingsFile(join(dir, 'settings.json')).save({
      ...DEFAULT_SETTINGS,
      token: 'main-process-test-token-01',
      host: '127.0.0.1',
      port,
      fps: 5,
    });
    // A push kept from an earlier run of the app: main loads it and shows it redacted.
    await writeFile(
      join(dir, 'pushes.json'),
      JSON.stringify({
        version: 1,
        pushes: [{ id: 'earlier', url: 'srt://127.0.0.1:9?passphrase=pw-main-0' }],
      }),
      { mode: 0o600 },
    );
    main = new MainProcess(
      childEnv(dir, {
        DISPLAY: xvfb.display,
        FFMPEG_PATH: '/usr/bin/ffmpeg',
        FAKE_ELECTRON_RECORD: join(dir, 'calls.json'),
      }),
    );
  });

  after(async () => {
    if (main.child.exitCode === null) main.child.kill('SIGKILL');
    await main.exited;
    await xvfb.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('before ready: only the privileged scheme, the single-instance lock and its listener', async () => {
    const calls = await main.calls();
    assert.deepEqual(names(calls), [
      'protocol.registerSchemesAsPrivileged',
      'app.requestSingleInstanceLock',
      'app.on',
      'app.whenReady',
    ]);
    assert.deepEqual(calls[0]?.args, [[{ scheme: 'mkvcast', privileges: { standard: true, secure: true } }]]);
    assert.deepEqual(calls[2]?.args, ['second-instance']);
  });

  it('after ready: permissions refused, the protocol, every handler, the tray, then the window on mkvcast://app/', async () => {
    await main.ask({ cmd: 'ready' });
    const calls = await waitFor(
      'the window to load its page',
      async () => {
        const all = await main.calls();
        return all.some((c) => c.name === 'window.loadURL') && all;
      },
      { timeoutMs: 15_000 },
    );
    const order = names(calls);
    const at = (name: string, arg?: unknown): number =>
      calls.findIndex((c) => c.name === name && (arg === undefined || c.args[0] === arg));
    const ready = order.indexOf('ready');
    for (const step of [
      'session.setPermissionRequestHandler',
      'session.setPermissionCheckHandler',
      'protocol.handle',
      'ipcMain.handle',
      'new Tray',
      'new BrowserWindow',
    ]) {
      assert.ok(at(step) > ready, `${step} after ready`);
    }
    assert.ok(at('app.on', 'web-contents-created') < at('new BrowserWindow'), 'every page is locked down');
    assert.ok(at('protocol.handle') < at('window.loadURL'), 'the scheme answers before the page loads');
    assert.ok(
      order.lastIndexOf('ipcMain.handle') < at('window.loadURL'),
      'every handler is there before the page can ask',
    );
    assert.deepEqual(calls[at('window.loadURL')]?.args, [APP_INDEX_URL]);
    for (const event of ['before-quit', 'window-all-closed', 'activate']) {
      assert.ok(at('app.on', event) > ready, `app.on(${event})`);
    }
    assert.ok(at('powerMonitor.on') > ready, 'links refreshed on resume');
    const webPreferences = (calls[at('new BrowserWindow')]?.args[0] as { webPreferences: object })
      .webPreferences;
    assert.deepEqual(
      { ...webPreferences, preload: undefined },
      {
        ...webPreferences,
        preload: undefined,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
      },
    );
    for (const name of ['webContents.setWindowOpenHandler', 'webContents.on']) {
      assert.ok(at(name) > at('new BrowserWindow'), name);
    }
  });

  it('every request channel in server/api.ts has one handler, and each refuses any sender but the app page', async () => {
    const calls = await main.calls();
    const registered = calls.filter((c) => c.name === 'ipcMain.handle').map((c) => c.args[0] as string);
    const requests = Object.values(IPC).filter(
      (c) =>
        ![
          IPC.pushState,
          IPC.pushViewers,
          IPC.pushStats,
          IPC.pushScreens,
          IPC.pushPaused,
          IPC.pushNotice,
        ].includes(c as never),
    );
    assert.deepEqual(registered.sort(), requests.sort());
    assert.deepEqual(REQUEST_CHANNEL_LIST, requests.sort(), 'the preload and bridge table names them all');
    for (const channel of registered) {
      for (const from of ['https://example.com/', 'file:///tmp/x.html', 'mkvcast://app/other.html']) {
        const answer = await main.invoke(channel, from);
        assert.ok(!answer.ok, `${channel} from ${from}`);
        assert.equal(answer.error.code, 'IPC_SENDER_REFUSED');
      }
    }
    const snapshot = await main.invoke<SessionSnapshot>(IPC.getState, APP_INDEX_URL);
    assert.ok(snapshot.ok);
    assert.equal(snapshot.value.state.kind, 'idle');
  });

  it("Record to file asks main's save dialog (a Matroska file); cancelled, nothing is chosen", async () => {
    const answer = await main.invoke<string | null>(IPC.chooseRecordFile, APP_INDEX_URL);
    assert.ok(answer.ok, JSON.stringify(answer));
    assert.equal(answer.value, null);
    const dialogs = (await main.calls()).filter((c) => c.name === 'dialog.showSaveDialog');
    assert.equal(dialogs.length, 1);
    const options = dialogs[0].args.at(-1) as { filters: { extensions: string[] }[] };
    assert.deepEqual(options.filters[0].extensions, ['mkv']);
    const refused = await main.invoke(IPC.chooseRecordFile, APP_INDEX_URL, '/tmp/from-the-window.mkv');
    assert.ok(!refused.ok, 'a path from the window is refused');
  });

  it('a push URL is sent once: main checks it, keeps it in a private pushes.json, and answers it redacted', async () => {
    const loaded = await main.invoke<SessionSnapshot>(IPC.getState, APP_INDEX_URL);
    assert.ok(loaded.ok);
    assert.deepEqual(loaded.value.pushes, [{ id: 'earlier', shown: 'srt://127.0.0.1:9' }], 'loaded at start');
    assert.deepEqual(await main.invoke(IPC.removePush, APP_INDEX_URL, 'earlier'), { ok: true, value: [] });
    const bad = await main.invoke<AddPushResult>(
      IPC.addPush,
      APP_INDEX_URL,
      'icecast://source:pw-main-1@h:8000/',
    );
    assert.ok(bad.ok && !bad.value.ok, JSON.stringify(bad));
    assert.equal(bad.value.error.code, 'PUSH_URL_INVALID');
    assert.ok(!JSON.stringify(bad).includes('pw-main-1'));
    const url = 'icecast://source:pw-main-2@127.0.0.1:9/live.mkv';
    const added = await main.invoke<AddPushResult>(IPC.addPush, APP_INDEX_URL, url);
    assert.ok(added.ok && added.value.ok, JSON.stringify(added));
    const [entry] = added.value.pushes;
    assert.equal(entry.shown, 'icecast://127.0.0.1:9/live.mkv');
    const snapshot = await main.invoke<SessionSnapshot>(IPC.getState, APP_INDEX_URL);
    assert.ok(snapshot.ok);
    assert.deepEqual(snapshot.value.pushes, [entry]);
    assert.ok(!JSON.stringify([loaded, added, snapshot]).includes('pw-main-'));
    const file = join(dir, 'pushes.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.ok((await readFile(file, 'utf8')).includes(url), 'main keeps the full URL');
    for (const args of [[], [42], [url, url], ['a\nb']]) {
      const refused = await main.invoke(IPC.addPush, APP_INDEX_URL, ...args);
      assert.ok(!refused.ok && refused.error.code === 'BAD_IPC_ARGUMENT', JSON.stringify(args));
    }
    const removed = await main.invoke<PushEntry[]>(IPC.removePush, APP_INDEX_URL, entry.id);
    assert.deepEqual(removed, { ok: true, value: [] });
    assert.ok(!(await readFile(file, 'utf8')).includes(url));
  });

  it('listAudioDevices (issue 11) is registered, refuses other senders, and takes nothing from the window', async () => {
    const registered = (await main.calls()).filter((c) => c.name === 'ipcMain.handle').map((c) => c.args[0]);
    assert.ok(registered.includes(IPC.listAudioDevices));
    const foreign = await main.invoke(IPC.listAudioDevices, 'https://example.com/');
    assert.ok(!foreign.ok && foreign.error.code === 'IPC_SENDER_REFUSED');
    // The window picks among the listed devices (Settings.audio); it never names one to this request.
    const named = await main.invoke(IPC.listAudioDevices, APP_INDEX_URL, 'speakers.monitor');
    assert.ok(!named.ok);
    assert.equal(named.error.code, 'BAD_IPC_ARGUMENT');
  });

  it('the mkvcast:// handler serves the built renderer with its CSP, and nothing outside it', async () => {
    type Answer = { status: number; headers: Record<string, string>; body: string };
    const index = await main.ask<Answer>({ cmd: 'request', url: APP_INDEX_URL });
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(index.headers['content-security-policy'], APP_CSP);
    const built = await readFile(join(ROOT, 'renderer/dist/index.html'));
    assert.ok(Buffer.from(index.body, 'base64').equals(built), 'the bytes of renderer/dist/index.html');
    const script = /src="\.?\/?([^"]+\.js)"/.exec(built.toString())?.[1];
    assert.ok(script, 'the page loads a script');
    const js = await main.ask<Answer>({ cmd: 'request', url: `mkvcast://app/${script}` });
    assert.equal(js.status, 200);
    assert.match(js.headers['content-type'] ?? '', /^text\/javascript/);
    for (const url of [
      'mkvcast://app/%2e%2e/%2e%2e/package.json',
      'mkvcast://app/..%2f..%2fpackage.json',
      'mkvcast://other/index.html',
    ]) {
      const refused = await main.ask<Answer>({ cmd: 'request', url });
      assert.ok(refused.status >= 400, `${url}: ${refused.status}`);
    }
  });

  it('on resume from sleep, the links are pushed to the window again', async () => {
    const pushes = async (): Promise<number> =>
      (await main.ask<{ channel: string }[]>({ cmd: 'sent' })).filter((s) => s.channel === IPC.pushState)
        .length;
    const before = await pushes();
    await main.ask({ cmd: 'emit', target: 'powerMonitor', event: 'resume' });
    assert.equal(await pushes(), before + 1);
  });

  it("macOS: a click on the Dock icon ('activate') shows the window", async () => {
    const shown = async (): Promise<number> =>
      (await main.calls()).filter((c) => c.name === 'window.show').length;
    const before = await shown();
    await main.ask({ cmd: 'emit', target: 'app', event: 'activate' });
    assert.equal(await shown(), before + 1);
  });

  it('sharing: start over IPC runs ffmpeg; closing the window with no tray to see asks, and "keep sharing" leaves a small window', async () => {
    const started = await main.invoke<StartResult>(IPC.start, APP_INDEX_URL);
    assert.ok(started.ok && started.value.ok, `${JSON.stringify(started)}\n${main.stderr}`);
    ffmpegPid = await waitFor('ffmpeg under main', async () => {
      for (const pid of childPids(main.child.pid ?? 0)) {
        if ((await readlink(`/proc/${pid}/exe`).catch(() => '')).endsWith('ffmpeg')) return pid;
      }
      return 0;
    });
    // Cancel (or Esc): nothing changes.
    const cancelled = await main.ask<{ prevented: boolean }>({ cmd: 'close-window', response: 2 });
    assert.equal(cancelled.prevented, true);
    await waitFor('the question', async () =>
      (await main.calls()).some((c) => c.name === 'dialog.showMessageBox'),
    );
    const closed = await main.ask<{ prevented: boolean }>({ cmd: 'close-window', response: 1 });
    assert.equal(closed.prevented, true, 'the window stays');
    const calls = await waitFor('the small window', async () => {
      const all = await main.calls();
      return all.some((c) => c.name === 'window.setSize') && all;
    });
    const box = calls.find((c) => c.name === 'dialog.showMessageBox');
    assert.match(JSON.stringify(box?.args), /Stop sharing and quit.*Keep sharing in a small window/);
    assert.deepEqual(calls.find((c) => c.name === 'window.setSize')?.args, [380, 240]);
    assert.ok(!names(calls).includes('window.hide'), 'a live share is never hidden');
    assert.equal(calls.filter((c) => c.name === 'window.setSize').length, 1, 'only "keep sharing" shrank it');
    assert.ok(isAlive(ffmpegPid), 'still sharing');
  });

  it('pause from the tray: the paused icon and tooltip, the window told; Resume from the window gives the tray its Pause item back', async () => {
    assert.ok(ffmpegPid > 0, 'the share test ran');
    const lastOf = async (name: string): Promise<unknown[]> =>
      (await main.calls()).filter((c) => c.name === name).at(-1)?.args ?? [];
    assert.ok(((await lastOf('Menu.buildFromTemplate'))[0] as string[]).includes('Pause sharing'));
    await main.ask({ cmd: 'tray-click', label: 'Pause sharing' });
    await waitFor('the paused tooltip', async () =>
      /Paused: 0 viewers see the Paused card/.test(String((await lastOf('tray.setToolTip'))[0])),
    );
    assert.match(String((await lastOf('nativeImage.createFromPath'))[0]), /tray-paused\.png$/);
    assert.ok(((await lastOf('Menu.buildFromTemplate'))[0] as string[]).includes('Resume sharing'));
    const sent = await main.ask<{ channel: string; payload: unknown }[]>({ cmd: 'sent' });
    assert.deepEqual(sent.filter((s) => s.channel === IPC.pushPaused).at(-1)?.payload, true);
    const snapshot = await main.invoke<SessionSnapshot>(IPC.getState, APP_INDEX_URL);
    assert.ok(snapshot.ok && snapshot.value.paused === true);

    const resumed = await main.invoke<boolean>(IPC.setPaused, APP_INDEX_URL, false);
    assert.deepEqual(resumed, { ok: true, value: false });
    await waitFor('the Pause item back', async () =>
      ((await lastOf('Menu.buildFromTemplate'))[0] as string[]).includes('Pause sharing'),
    );
    assert.match(String((await lastOf('nativeImage.createFromPath'))[0]), /tray-live\.png$/);
    const refused = await main.invoke(IPC.setPaused, 'https://example.com/', true);
    assert.ok(!refused.ok && refused.error.code === 'IPC_SENDER_REFUSED');
    const windows = await main.invoke<unknown[]>(IPC.listWindows, APP_INDEX_URL);
    assert.ok(windows.ok && Array.isArray(windows.value), 'the X windows of the display (none here)');
    // Pause and resume each start a new ffmpeg: the quit test checks the one running now.
    const before = ffmpegPid;
    ffmpegPid = await waitFor('one ffmpeg under main, the resumed one', async () => {
      const running: number[] = [];
      for (const pid of childPids(main.child.pid ?? 0)) {
        if ((await readlink(`/proc/${pid}/exe`).catch(() => '')).endsWith('ffmpeg')) running.push(pid);
      }
      return running.length === 1 && running[0] !== before ? running[0] : 0;
    });
  });

  it('quit stops the session: the process exits 0, no ffmpeg is left and the port is closed', async () => {
    assert.ok(ffmpegPid > 0, 'the share test ran');
    main.child.send({ id: 0, cmd: 'quit' });
    assert.equal(await main.exited, 0, main.stderr);
    assert.equal(isAlive(ffmpegPid), false, 'ffmpeg is gone');
    const calls = JSON.parse(await readFile(join(dir, 'calls.json'), 'utf8')) as Call[];
    assert.deepEqual(calls.at(-1), { name: 'app.exit', args: [0] });
    await assert.rejects(
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(null);
        });
        socket.once('error', reject);
      }),
      /ECONNREFUSED/,
    );
  });
});

describe('the built main process failing to start', () => {
  it('shows an error dialog that says what failed, then exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mkvcast-main-fail-'));
    try {
      const main = new MainProcess(
        childEnv(dir, { FAKE_ELECTRON_FAULT: 'getPath', FAKE_ELECTRON_RECORD: join(dir, 'calls.json') }),
      );
      await main.ask({ cmd: 'ready' });
      assert.equal(await main.exited, 1);
      const calls = JSON.parse(await readFile(join(dir, 'calls.json'), 'utf8')) as Call[];
      const box = calls.find((c) => c.name === 'dialog.showErrorBox');
      assert.ok(box, names(calls).join(', '));
      assert.equal(box.args[0], 'mkvcast could not start');
      assert.match(String(box.args[1]), /Failed to get 'userData' path\n\n.*terminal/s);
      assert.deepEqual(calls.at(-1), { name: 'app.exit', args: [1] });
      assert.ok(!names(calls).includes('new BrowserWindow'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the built main process started with --no-sandbox', () => {
  it('says so before anything else, and quits when asked to (never runs without the sandbox silently)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mkvcast-main-sandbox-'));
    try {
      const main = new MainProcess(
        childEnv(dir, { APPIMAGE: '/tmp/mkvcast.AppImage', FAKE_ELECTRON_RECORD: join(dir, 'calls.json') }),
        ['--no-sandbox'],
      );
      await main.ask({ cmd: 'ready' }); // the fake's dialog answers its cancel button: Quit
      assert.equal(await main.exited, 0);
      const calls = JSON.parse(await readFile(join(dir, 'calls.json'), 'utf8')) as Call[];
      const box = calls.find((c) => c.name === 'dialog.showMessageBox');
      assert.ok(box, names(calls).join(', '));
      assert.match(JSON.stringify(box.args), /without Chromium's sandbox.*AppImage.*\.deb/);
      assert.ok(!names(calls).includes('new BrowserWindow'), 'no window');
      assert.ok(!names(calls).includes('protocol.handle'), 'nothing started');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the built main process where a tray icon is seen', () => {
  it('closing the window hides it (the tray brings it back), and Quit still exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mkvcast-main-tray-'));
    try {
      // A gdbus that answers as a session bus with a StatusNotifierWatcher (KDE, GNOME with AppIndicator).
      const bin = join(dir, 'bin');
      await mkdir(bin);
      await writeFile(join(bin, 'gdbus'), '#!/bin/sh\necho "(true,)"\n', { mode: 0o755 });
      const main = new MainProcess(
        childEnv(dir, {
          PATH: `${bin}:${process.env.PATH ?? ''}`,
          FAKE_ELECTRON_RECORD: join(dir, 'calls.json'),
        }),
      );
      await main.ask({ cmd: 'ready' });
      await waitFor('the window', async () => (await main.calls()).some((c) => c.name === 'window.loadURL'));
      const closed = await main.ask<{ prevented: boolean }>({ cmd: 'close-window', response: 0 });
      assert.equal(closed.prevented, true);
      const calls = await waitFor('the window hidden', async () => {
        const all = await main.calls();
        return all.some((c) => c.name === 'window.hide') && all;
      });
      assert.ok(!names(calls).includes('dialog.showMessageBox'), 'no question');
      main.child.send({ id: 0, cmd: 'quit' });
      assert.equal(await main.exited, 0, main.stderr);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the built main process on a Wayland session (issue 16)', () => {
  /** main.js with the session's variables of a Wayland desktop (no compositor is needed to ask how it captures). */
  async function captureOf(args: string[]): Promise<{ way: unknown; screens: unknown; windows: unknown }> {
    const dir = await mkdtemp(join(tmpdir(), 'mkvcast-main-wayland-'));
    try {
      const env = childEnv(dir, { FAKE_ELECTRON_RECORD: join(dir, 'calls.json') });
      Object.assign(env, { XDG_SESSION_TYPE: 'wayland', WAYLAND_DISPLAY: 'wayland-9', XDG_STATE_HOME: dir });
      delete env.DISPLAY;
      const main = new MainProcess(env, args);
      await main.ask({ cmd: 'ready' });
      await waitFor('the window', async () => (await main.calls()).some((c) => c.name === 'window.loadURL'));
      const answer = async (channel: string): Promise<unknown> => {
        const result = await main.invoke(channel, APP_INDEX_URL);
        return result.ok ? result.value : result.error.code;
      };
      const seen = {
        way: await answer(IPC.captureWay),
        screens: await answer(IPC.listScreens),
        windows: await answer(IPC.listWindows),
      };
      main.child.send({ id: 0, cmd: 'quit' });
      assert.equal(await main.exited, 0, main.stderr);
      return seen;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("captures through the desktop's portal: no screen or window list, the dialog asks", async () => {
    assert.deepEqual(await captureOf([]), { way: 'portal', screens: [], windows: [] });
  });

  it('--capture=x11 on Wayland captures through X11, as `mkvcast share --capture x11`', async () => {
    const seen = await captureOf(['--capture=x11']);
    assert.equal(seen.way, 'screens');
    // No X display in this test: the window is told why, instead of Wayland's refusal.
    assert.equal(seen.screens, 'NO_DISPLAY');
  });
});
