import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sandboxNotice } from './sandbox-notice.js';

describe('the no-sandbox notice', () => {
  it('nothing when the sandbox is on', () => {
    assert.equal(sandboxNotice(false, { APPIMAGE: '/x.AppImage' }), null);
  });

  it('says why (the AppImage turned it off, or --no-sandbox), how to keep it, and defaults to Quit', () => {
    const appImage = sandboxNotice(true, { APPIMAGE: '/home/a/mkvcast.AppImage' });
    assert.match(appImage?.detail ?? '', /AppImage turned it off.*user namespaces.*\.deb.*AppArmor/);
    const flag = sandboxNotice(true, {});
    assert.match(flag?.detail ?? '', /started with --no-sandbox/);
    assert.equal(flag?.buttons[flag.defaultId], 'Quit');
    assert.equal(flag?.cancelId, flag?.defaultId);
  });
});
