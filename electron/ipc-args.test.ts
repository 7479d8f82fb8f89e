import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APP_INDEX_URL } from './app-protocol.js';
import { copyTextArg, IpcArgumentError, isAppSender, noArgs, settingsArg, viewerIdArg } from './ipc-args.js';

const APP = APP_INDEX_URL;

describe('IPC checks', () => {
  it('only the app page itself is a sender', () => {
    assert.equal(isAppSender(APP, APP), true);
    assert.equal(isAppSender(`${APP}#viewers`, APP), true);
    assert.equal(isAppSender('file:///tmp/evil.html', APP), false);
    assert.equal(isAppSender('file:///index.html', APP), false);
    assert.equal(isAppSender('mkvcast://evil/index.html', APP), false);
    assert.equal(isAppSender('https://app/index.html', APP), false);
    assert.equal(isAppSender('', APP), false);
    assert.equal(isAppSender(undefined, APP), false);
    assert.equal(isAppSender('not a url', APP), false);
  });

  it('arguments of the wrong kind or count are refused', () => {
    assert.doesNotThrow(() => noArgs([]));
    assert.throws(() => noArgs([1]), IpcArgumentError);
    assert.equal(viewerIdArg(['v-12_a']), 'v-12_a');
    for (const bad of [[], [12], ['../x'], ['a'.repeat(65)], ['a', 'b']]) {
      assert.throws(() => viewerIdArg(bad), IpcArgumentError, JSON.stringify(bad));
    }
    assert.equal(copyTextArg(['mpv --untimed http://x/live.mkv']), 'mpv --untimed http://x/live.mkv');
    assert.throws(() => copyTextArg(['a\nb']), IpcArgumentError);
    assert.throws(() => copyTextArg(['x'.repeat(2049)]), IpcArgumentError);
    assert.deepEqual(settingsArg([{ fps: 10 }]), { fps: 10 });
    for (const bad of [[], [null], [[1]], ['{}']]) {
      assert.throws(() => settingsArg(bad), IpcArgumentError, JSON.stringify(bad));
    }
  });
});
