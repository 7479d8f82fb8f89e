import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScreenInfo } from './api.js';
import { cropScreen, parseRegion, regionOutside, regionSyntaxProblem } from './region.js';

const ultrawide: ScreenInfo = {
  id: 'DP-1',
  name: 'DP-1',
  x: 1920,
  y: 0,
  width: 3440,
  height: 1440,
  scaleFactor: 1,
  primary: false,
};

describe('region', () => {
  it('WxH+X+Y is read as X11 writes it; anything else is not a region', () => {
    assert.deepEqual(parseRegion('1720x1440+0+0'), { width: 1720, height: 1440, x: 0, y: 0 });
    for (const bad of ['1720x1440', '1720x1440-0-0', 'x+0+0', '1e3x10+0+0'])
      assert.equal(parseRegion(bad), null);
  });

  it('the left half of an ultrawide screen on the right of another: offsets on the whole desktop', () => {
    const crop = cropScreen(ultrawide, '1720x1440+0+0');
    assert.deepEqual([crop.x, crop.y, crop.width, crop.height], [1920, 0, 1720, 1440]);
    assert.equal(cropScreen(ultrawide, ''), ultrawide);
  });

  it('empty is the whole screen; odd or tiny sizes and regions past the edge are refused with the reason', () => {
    assert.equal(regionSyntaxProblem(''), null);
    assert.match(regionSyntaxProblem('1721x1440+0+0') ?? '', /even numbers/);
    assert.match(regionSyntaxProblem('8x8+0+0') ?? '', /at least 16/);
    assert.equal(regionOutside({ width: 1720, height: 1440, x: 1720, y: 0 }, ultrawide), null);
    assert.match(
      regionOutside({ width: 1720, height: 1440, x: 1722, y: 0 }, ultrawide) ?? '',
      /at most 3440/,
    );
  });
});
