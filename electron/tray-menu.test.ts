import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ShareLinkInfo } from '../server/api.js';
import { trayIconFile, trayModel, type TrayItem } from './tray-menu.js';

const LINK: ShareLinkInfo = {
  url: 'http://192.168.1.5:8080/t0k3n/live.mkv',
  interfaceName: 'eth0',
  family: 'IPv4',
};
const actions = (items: TrayItem[]): string[] =>
  items.flatMap((i) => (i.kind === 'action' ? [`${i.action}${i.enabled ? '' : ' (disabled)'}`] : []));

describe('trayModel', () => {
  it('idle: Start sharing, no link to copy, the idle icon', () => {
    const model = trayModel({ kind: 'idle' }, [], 0);
    assert.equal(model.live, false);
    assert.equal(model.tooltip, 'mkvcast — Not sharing');
    assert.deepEqual(actions(model.items), ['start', 'copy-link (disabled)', 'show', 'quit']);
  });

  it('live: Pause, Stop sharing, Copy link, the viewer count, the live icon', () => {
    const model = trayModel({ kind: 'live', since: '2026-01-01T00:00:00Z' }, [LINK], 2);
    assert.equal(model.live, true);
    assert.deepEqual(model.items[0], { kind: 'info', label: 'Sharing: 2 viewers' });
    assert.deepEqual(actions(model.items), ['pause', 'stop', 'copy-link', 'show', 'quit']);
    assert.equal(trayModel({ kind: 'live', since: '' }, [LINK], 1).tooltip, 'mkvcast — Sharing: 1 viewer');
  });

  it('starting: Start is disabled until the session settles', () => {
    assert.deepEqual(actions(trayModel({ kind: 'starting' }, [], 0).items), [
      'start (disabled)',
      'copy-link (disabled)',
      'show',
      'quit',
    ]);
  });

  it('error: says why sharing stopped, and offers Start again', () => {
    const model = trayModel(
      {
        kind: 'error',
        error: { code: 'PORT_IN_USE', message: 'Port 8080 is in use.', fix: 'Pick another.' },
      },
      [],
      0,
    );
    assert.equal(model.tooltip, 'mkvcast — Stopped: Port 8080 is in use.');
    assert.deepEqual(actions(model.items)[0], 'start');
  });
});

describe('trayModel while paused', () => {
  it('live: Pause sharing comes first; paused: the paused icon, the tooltip says so, and Resume sharing', () => {
    const live = { kind: 'live', since: '' } as const;
    assert.deepEqual(actions(trayModel(live, [LINK], 1).items), [
      'pause',
      'stop',
      'copy-link',
      'show',
      'quit',
    ]);
    const model = trayModel(live, [LINK], 2, true);
    assert.equal(model.paused, true);
    assert.equal(model.tooltip, 'mkvcast — Paused: 2 viewers see the Paused card');
    assert.deepEqual(model.items[0], { kind: 'info', label: 'Paused: 2 viewers see the Paused card' });
    assert.deepEqual(actions(model.items), ['resume', 'stop', 'copy-link', 'show', 'quit']);
  });

  it('not sharing: no pause item, and no paused icon', () => {
    const model = trayModel({ kind: 'idle' }, [], 0, true);
    assert.equal(model.paused, false);
    assert.deepEqual(actions(model.items), ['start', 'copy-link (disabled)', 'show', 'quit']);
  });
});

describe('trayIconFile', () => {
  it('paused has its own icon, a template one on macOS', () => {
    assert.equal(trayIconFile('linux', true, true), 'tray-paused.png');
    assert.equal(trayIconFile('darwin', true, true), 'tray-pausedTemplate.png');
  });

  it('uses template images on macOS and the coloured icons elsewhere', () => {
    assert.equal(trayIconFile('darwin', true), 'tray-liveTemplate.png');
    assert.equal(trayIconFile('darwin', false), 'tray-idleTemplate.png');
    assert.equal(trayIconFile('linux', true), 'tray-live.png');
    assert.equal(trayIconFile('win32', false), 'tray-idle.png');
  });
});
