import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { REQUEST_CHANNELS } from './requests.js';
import { IPC, type MkvcastIpcApi, type PushChannel, type PushPayloads } from '../server/api.js';

// The bundle `npm run build` makes (build:preload), next to this compiled test.
const BUNDLE = fileURLToPath(new URL('./preload.cjs', import.meta.url));

interface Loaded {
  exposed: Map<string, unknown>;
  invoked: unknown[][];
  listeners: Map<string, ((...args: unknown[]) => void)[]>;
  required: string[];
}

async function loadPreload(): Promise<Loaded> {
  const loaded: Loaded = { exposed: new Map(), invoked: [], listeners: new Map(), required: [] };
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => loaded.exposed.set(key, api) },
    ipcRenderer: {
      invoke: (...args: unknown[]) => {
        loaded.invoked.push(args);
        return Promise.resolve('answer');
      },
      on: (channel: string, listener: (...args: unknown[]) => void) =>
        loaded.listeners.set(channel, [...(loaded.listeners.get(channel) ?? []), listener]),
      off: (channel: string, listener: (...args: unknown[]) => void) =>
        loaded.listeners.set(
          channel,
          (loaded.listeners.get(channel) ?? []).filter((l) => l !== listener),
        ),
    },
  };
  // A sandboxed preload may require 'electron' and little else: anything more fails here.
  const require = (name: string): unknown => {
    loaded.required.push(name);
    if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
    return electron;
  };
  const code = await readFile(BUNDLE, 'utf8');
  runInNewContext(code, { require, module: { exports: {} }, exports: {} }, { filename: BUNDLE });
  return loaded;
}

describe('the preload bundle', () => {
  it('requires only electron and exposes one object, window.mkvcast', async () => {
    const { exposed, required } = await loadPreload();
    assert.deepEqual(required, ['electron']);
    assert.deepEqual([...exposed.keys()], ['mkvcast']);
  });

  it('sends each call on its channel with its arguments', async () => {
    const { exposed, invoked } = await loadPreload();
    const api = exposed.get('mkvcast') as MkvcastIpcApi;
    await api.listScreens();
    await api.kick('v1');
    await api.saveSettings({ fps: 10 } as never);
    await api.copyLink('http://x/live.mkv');
    await api.screenAccess();
    await api.openScreenAccessSettings();
    await api.chooseFfmpeg();
    assert.deepEqual(invoked, [
      [IPC.listScreens],
      [IPC.kick, 'v1'],
      [IPC.saveSettings, { fps: 10 }],
      [IPC.copyLink, 'http://x/live.mkv'],
      [IPC.screenAccess],
      [IPC.openScreenAccessSettings],
      [IPC.chooseFfmpeg],
    ]);
  });

  it('each request of REQUEST_CHANNELS (the test bridge sends by it) goes out on that channel', async () => {
    const { exposed, invoked } = await loadPreload();
    const api = exposed.get('mkvcast') as Record<string, () => Promise<unknown>>;
    for (const [name, channel] of Object.entries(REQUEST_CHANNELS)) {
      invoked.length = 0;
      await api[name]();
      assert.equal(invoked.length, 1, name);
      assert.equal(invoked[0]?.[0], channel, name);
    }
  });

  it('delivers each push to its subscribers, from the payload main sends, until they unsubscribe', async () => {
    const { exposed, listeners } = await loadPreload();
    const api = exposed.get('mkvcast') as MkvcastIpcApi;
    const push = <C extends PushChannel>(channel: C, payload: PushPayloads[C]): void => {
      for (const l of listeners.get(channel) ?? []) l({ sender: 'event' }, payload);
    };
    const seen: unknown[] = [];
    const off = api.onState((state, links) => seen.push(['state', state, links]));
    api.onViewers((viewers) => seen.push(['viewers', viewers]));
    api.onScreens((screens) => seen.push(['screens', screens]));
    api.onPaused((paused) => seen.push(['paused', paused]));
    api.onNotice((notice) => seen.push(['notice', notice.code]));
    const links = [
      { url: 'http://192.168.1.2:8080/t/live.mkv', interfaceName: 'eth0', family: 'IPv4' as const },
    ];
    push(IPC.pushState, { state: { kind: 'idle' }, links });
    push(IPC.pushViewers, []);
    push(IPC.pushScreens, []);
    push(IPC.pushPaused, true);
    push(IPC.pushNotice, { code: 'AUDIO_DEVICE_GONE', message: 'gone', fix: 'plug it in', field: 'audio' });
    off();
    push(IPC.pushState, { state: { kind: 'starting' }, links: [] });
    assert.deepEqual(seen, [
      ['state', { kind: 'idle' }, links],
      ['viewers', []],
      ['screens', []],
      ['paused', true],
      ['notice', 'AUDIO_DEVICE_GONE'],
    ]);
    assert.equal(listeners.get(IPC.pushState)?.length, 0);
  });
});
