import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  IPC,
  type ChooseFfmpegResult,
  type IpcResult,
  type SaveSettingsResult,
  type Settings,
} from '../server/api.js';
import { SharingSession } from '../server/session/session.js';
import { DEFAULT_SETTINGS } from '../server/settings.js';
import { APP_INDEX_URL } from './app-protocol.js';
import { AppController, UNCHECKED_FFMPEG_PATH } from './controller.js';
import { registerIpc, requestHandlers, type IpcSender, type RequestChannel } from './ipc.js';

type Listener = (event: IpcSender, ...args: unknown[]) => Promise<IpcResult<unknown>>;

/** The app's IPC as main registers it, over a real AppController and an idle SharingSession. */
function app(pick: () => string | null): {
  invoke: (channel: string, from: string | undefined, ...args: unknown[]) => Promise<IpcResult<unknown>>;
  registered: string[];
  persisted: Settings[];
  session: SharingSession;
} {
  const session = new SharingSession(
    { ...DEFAULT_SETTINGS, token: 'token-for-ipc-tests-0123' },
    {
      listScreens: async () => [],
    },
  );
  const persisted: Settings[] = [];
  const controller = new AppController({
    session,
    listScreens: async () => [],
    persist: async (settings) => void persisted.push(settings),
    copyText: () => undefined,
    pickFfmpegFile: async () => pick(),
  });
  const handlers = new Map<string, Listener>();
  const registered: string[] = [];
  registerIpc(
    {
      handle: (channel, listener) => {
        registered.push(channel);
        handlers.set(channel, listener);
      },
    },
    APP_INDEX_URL,
    requestHandlers(controller),
  );
  const invoke = (
    channel: string,
    from: string | undefined,
    ...args: unknown[]
  ): Promise<IpcResult<unknown>> => {
    const listener = handlers.get(channel);
    assert.ok(listener, `a handler for ${channel}`);
    return listener(from === undefined ? {} : { senderFrame: { url: from } }, ...args);
  };
  return { invoke, registered, persisted, session };
}

const REQUESTS: RequestChannel[] = Object.values(IPC).filter(
  (channel): channel is RequestChannel =>
    ![
      IPC.pushState,
      IPC.pushViewers,
      IPC.pushStats,
      IPC.pushScreens,
      IPC.pushPaused,
      IPC.pushNotice,
    ].includes(channel as never),
);

describe("main's IPC handlers", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mkvcast-ipc-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('every request channel has exactly one handler, and no push channel has one', () => {
    const { registered } = app(() => null);
    assert.deepEqual([...registered].sort(), [...REQUESTS].sort());
  });

  it('every handler refuses a request from anything but the app page, before reading its arguments', async () => {
    const { invoke, persisted } = app(() => null);
    for (const channel of REQUESTS) {
      for (const from of [
        undefined,
        'file:///tmp/evil.html',
        'https://example.com/',
        'mkvcast://app/other.html',
      ]) {
        const result = await invoke(channel, from, { fps: 1 }, 'extra');
        assert.ok(!result.ok, `${channel} from ${from}`);
        assert.equal(result.error.code, 'IPC_SENDER_REFUSED');
        assert.match(result.error.message, /did not come from the mkvcast window/);
        assert.match(result.error.fix, /mkvcast window/);
      }
    }
    assert.equal(persisted.length, 0, 'nothing ran');
  });

  it('a request without arguments refuses any; one with arguments refuses the wrong ones', async () => {
    const { invoke } = app(() => null);
    for (const [channel, arg] of [
      [IPC.start, 'now'],
      [IPC.chooseFfmpeg, '/bin/sh'],
      [IPC.kick, '../x'],
      [IPC.saveSettings, 'fps=1'],
      [IPC.setPaused, 'yes'],
      [IPC.listWindows, 'all'],
    ] as const) {
      const result = await invoke(channel, APP_INDEX_URL, arg);
      assert.ok(!result.ok, channel);
      assert.equal(result.error.code, 'BAD_IPC_ARGUMENT');
      assert.ok(result.error.fix.length > 0);
    }
  });

  it('setPaused takes one boolean and answers the new value; listWindows is empty where no lister is given', async () => {
    const { invoke, session } = app(() => null);
    assert.deepEqual(await invoke(IPC.setPaused, APP_INDEX_URL, true), { ok: true, value: true });
    assert.equal(session.paused, true);
    assert.deepEqual(await invoke(IPC.setPaused, APP_INDEX_URL, false), { ok: true, value: false });
    const none = await invoke(IPC.setPaused, APP_INDEX_URL);
    assert.ok(!none.ok && none.error.code === 'BAD_IPC_ARGUMENT');
    assert.deepEqual(await invoke(IPC.listWindows, APP_INDEX_URL), { ok: true, value: [] });
  });

  it('an error inside a handler answers its code and fix, never a throw (Electron would keep only the message)', async () => {
    const { invoke } = app(() => null);
    const result = await invoke(IPC.openScreenAccessSettings, APP_INDEX_URL);
    assert.ok(!result.ok);
    assert.equal(result.error.code, 'INTERNAL');
    assert.match(result.error.message, /no screen recording permission/);
    assert.ok(result.error.fix.length > 0);
    const copied = await invoke(IPC.copyLink, APP_INDEX_URL, 'http://elsewhere/x');
    assert.ok(!copied.ok);
    assert.deepEqual(structuredClone(copied), copied, 'the answer survives structured clone as it is');
  });

  it('saveSettings from the window keeps no ffmpeg path main did not check; Choose… sets a checked one', async () => {
    const script = join(dir, 'ffmpeg');
    await writeFile(script, '#!/bin/sh\necho "ffmpeg version 9"\n');
    await chmod(script, 0o755);
    let picked: string | null = null;
    const { invoke, persisted, session } = app(() => picked);
    const value = async <T>(answer: Promise<IpcResult<unknown>>): Promise<T> => {
      const result = await answer;
      assert.ok(result.ok, JSON.stringify(result));
      return result.value as T;
    };
    const save = (ffmpegPath: string): Promise<SaveSettingsResult> =>
      value(invoke(IPC.saveSettings, APP_INDEX_URL, { ...session.settings, ffmpegPath }));
    const choose = (): Promise<ChooseFfmpegResult> => value(invoke(IPC.chooseFfmpeg, APP_INDEX_URL));

    // A page script names a program: refused, and nothing is run or stored.
    for (const path of ['/bin/sh', script, '/usr/bin/ffmpeg']) {
      assert.deepEqual(await save(path), {
        ok: false,
        errors: [{ field: 'ffmpegPath', message: UNCHECKED_FFMPEG_PATH }],
      });
    }
    assert.equal(session.settings.ffmpegPath, '');
    assert.equal(persisted.length, 0, 'nothing was stored');

    // The dialog: cancelled, then a program that is not ffmpeg, refused (more cases in ffmpeg-path.test.ts)…
    picked = null;
    assert.deepEqual(await choose(), { outcome: 'cancelled' });
    picked = '/bin/sh';
    const refused = await choose();
    assert.equal(refused.outcome, 'refused');
    assert.equal(refused.outcome === 'refused' && refused.error.code, 'FFMPEG_PATH_NOT_FFMPEG');
    assert.equal((await save('/bin/sh')).ok, false, 'a refused pick is not saved either');

    // …and the real ffmpeg, once chosen, is saved and stored; the empty path (find one) always is.
    picked = '/usr/bin/ffmpeg';
    assert.deepEqual(await choose(), { outcome: 'chosen', path: '/usr/bin/ffmpeg' });
    assert.equal((await save('/usr/bin/ffmpeg')).ok, true);
    assert.equal(session.settings.ffmpegPath, '/usr/bin/ffmpeg');
    assert.equal(persisted.at(-1)?.ffmpegPath, '/usr/bin/ffmpeg');
    assert.equal((await save('/usr/bin/ffmpeg')).ok, true, 'the path in use may be sent again');
    assert.equal((await save('')).ok, true);
    assert.equal(session.settings.ffmpegPath, '');
  });
});
