import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseXdpyinfo, parseXrandrMonitors, screensFromDisplays, x11Problem } from './screens.js';

describe('screens', () => {
  it('reads RandR monitors, the primary one marked with *', () => {
    const screens = parseXrandrMonitors(
      'Monitors: 2\n 0: +*HDMI-1 1920/509x1080/286+0+0  HDMI-1\n 1: +DP-1 1280/338x1024/270+1920+0  DP-1\n',
    );
    assert.deepEqual(
      screens.map((s) => [s.id, s.x, s.y, s.width, s.height, s.primary]),
      [
        ['HDMI-1', 0, 0, 1920, 1080, true],
        ['DP-1', 1920, 0, 1280, 1024, false],
      ],
    );
  });

  it('reads the whole root window from xdpyinfo when RandR lists nothing', () => {
    const [screen] = parseXdpyinfo('screen #0:\n  dimensions:    1280x720 pixels (325x183 millimeters)\n');
    assert.deepEqual([screen.width, screen.height, screen.primary], [1280, 720, true]);
  });

  it("converts Electron's displays to physical pixels (DIP × scale factor)", () => {
    const [a, b] = screensFromDisplays(
      [
        { id: 1, label: 'Built-in', bounds: { x: 0, y: 0, width: 1440, height: 900 }, scaleFactor: 2 },
        { id: 2, bounds: { x: 1440, y: 0, width: 1920, height: 1080 }, scaleFactor: 1 },
      ],
      1,
    );
    assert.deepEqual([a.width, a.height, a.primary, a.name], [2880, 1800, true, 'Built-in (2880×1800)']);
    assert.deepEqual([b.x, b.width, b.primary, b.id], [1440, 1920, false, '2']);
  });

  it('says plainly that a Wayland session cannot be captured through X11', () => {
    assert.equal(x11Problem({ XDG_SESSION_TYPE: 'wayland' }, ':0')?.code, 'WAYLAND');
    assert.equal(x11Problem({}, '')?.code, 'NO_DISPLAY');
    assert.equal(x11Problem({ XDG_SESSION_TYPE: 'x11' }, ':0'), null);
  });
});
