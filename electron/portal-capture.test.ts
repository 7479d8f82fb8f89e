import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appCapture, PortalCapture } from './portal-capture.js';

describe('the app picks its capture as `mkvcast share` does', () => {
  it('a Wayland session gets the portal; X11 gets x11grab; --capture overrides either', () => {
    assert.deepEqual(appCapture('', { XDG_SESSION_TYPE: 'wayland' }, 'linux'), {
      backend: 'portal',
      warning: null,
    });
    assert.equal(
      appCapture(undefined, { WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' }, 'linux').backend,
      'portal',
    );
    assert.equal(appCapture('', { DISPLAY: ':0' }, 'linux').backend, 'x11');
    assert.equal(appCapture('x11', { XDG_SESSION_TYPE: 'wayland' }, 'linux').backend, 'x11');
    assert.equal(appCapture('portal', { DISPLAY: ':0' }, 'linux').backend, 'portal');
    assert.equal(appCapture('', { WAYLAND_DISPLAY: 'wayland-0' }, 'win32').backend, 'x11');
  });

  it('a --capture that is neither is ignored with a warning that says what it takes', () => {
    const picked = appCapture('pipewire', { XDG_SESSION_TYPE: 'wayland' }, 'linux');
    assert.equal(picked.backend, 'portal');
    assert.match(picked.warning ?? '', /--capture must be portal or x11 \(got 'pipewire'\)/);
  });

  it('with no cast open, encoders are refused with the reason and close does nothing', async () => {
    const portal = new PortalCapture({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' });
    const deps = portal.sessionDeps();
    assert.equal(deps.display, 'wayland');
    assert.throws(
      () => deps.encoders?.({ ffmpegPath: 'ffmpeg', encoder: 'libx264', settings: () => ({}) as never }),
      /not open/,
    );
    await portal.close();
    await portal.close();
  });
});
