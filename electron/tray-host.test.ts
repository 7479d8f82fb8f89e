import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runToExit } from '../support/processes.js';
import { ownerAnswer, trayVisible, WATCHER_QUERY } from './tray-host.js';

describe('whether a tray icon would be seen', () => {
  it('macOS and Windows: always, without asking anything', async () => {
    const never = (): Promise<string> => Promise.reject(new Error('not asked'));
    assert.equal(await trayVisible('darwin', never), true);
    assert.equal(await trayVisible('win32', never), true);
  });

  it('Linux: only when the session bus has a StatusNotifierWatcher; unknown counts as unseen', async () => {
    assert.equal(await trayVisible('linux', async () => '(true,)\n'), true);
    assert.equal(await trayVisible('linux', async () => '(false,)\n'), false);
    assert.equal(await trayVisible('linux', () => Promise.reject(new Error('no bus'))), false);
    assert.equal(ownerAnswer('garbage'), false);
  });

  it('the real gdbus answers the query on a session bus with no watcher: false', async (t) => {
    const which = await runToExit('sh', ['-c', 'command -v gdbus && command -v dbus-run-session']);
    if (which.code !== 0) return t.skip('gdbus or dbus-run-session is not installed');
    const asked = await runToExit('dbus-run-session', ['--', 'gdbus', ...WATCHER_QUERY]);
    assert.equal(asked.code, 0, asked.stderr);
    assert.equal(ownerAnswer(asked.stdout.toString()), false);
  });
});
