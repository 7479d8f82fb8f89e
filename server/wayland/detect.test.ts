import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCaptureBackend, pickCaptureBackend } from './detect.js';

describe('capture backend detection', () => {
  it('picks the portal on Wayland, even with XWayland’s DISPLAY set', () => {
    assert.equal(pickCaptureBackend({ XDG_SESSION_TYPE: 'wayland' }), 'portal');
    assert.equal(pickCaptureBackend({ WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' }), 'portal');
  });

  it('picks x11grab on X11, and the flag overrides either way', () => {
    assert.equal(pickCaptureBackend({ XDG_SESSION_TYPE: 'x11', DISPLAY: ':0' }), 'x11');
    assert.equal(pickCaptureBackend({ WAYLAND_DISPLAY: 'wayland-0' }, 'x11'), 'x11');
    assert.equal(pickCaptureBackend({ DISPLAY: ':0' }, 'portal'), 'portal');
  });

  it('takes only portal or x11 from --capture', () => {
    assert.equal(parseCaptureBackend('portal'), 'portal');
    assert.equal(parseCaptureBackend('x11'), 'x11');
    assert.equal(parseCaptureBackend('pipewire'), null);
  });
});
