import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScreenInfo } from '../server/api.js';
import { mayTakeThumbnails, screenAccessFrom, withThumbnails } from './screens.js';

const screen = (id: string): ScreenInfo => ({
  id,
  name: `Screen ${id}`,
  x: 0,
  y: 0,
  width: 1920,
  height: 1080,
  scaleFactor: 1,
  primary: id === '1',
});

describe('screenAccessFrom', () => {
  it('is not needed off macOS, without asking the system', () => {
    const never = (): string => assert.fail('asked');
    assert.equal(screenAccessFrom('linux', never), 'not-needed');
    assert.equal(screenAccessFrom('win32', never), 'not-needed');
  });

  it("passes macOS's answers through, and anything else as unknown", () => {
    for (const status of ['granted', 'not-determined', 'denied', 'restricted', 'unknown']) {
      assert.equal(
        screenAccessFrom('darwin', () => status),
        status,
      );
    }
    assert.equal(
      screenAccessFrom('darwin', () => 'something-new'),
      'unknown',
    );
  });

  it('takes thumbnails only when that cannot prompt or fail', () => {
    assert.deepEqual(
      (['not-needed', 'granted', 'not-determined', 'denied', 'restricted', 'unknown'] as const).filter(
        mayTakeThumbnails,
      ),
      ['not-needed', 'granted'],
    );
  });
});

describe('withThumbnails', () => {
  it('matches sources to screens by display id', () => {
    const screens = withThumbnails(
      [screen('1'), screen('2')],
      [
        { displayId: '2', dataUrl: 'data:image/png;base64,two' },
        { displayId: '9', dataUrl: 'data:image/png;base64,nine' },
      ],
    );
    assert.equal(screens[0].thumbnail, undefined);
    assert.equal(screens[1].thumbnail, 'data:image/png;base64,two');
  });

  it('matches in order when no source names its display and the counts agree', () => {
    const sources = [
      { displayId: '', dataUrl: 'data:a' },
      { displayId: '', dataUrl: 'data:b' },
    ];
    assert.deepEqual(
      withThumbnails([screen('1'), screen('2')], sources).map((s) => s.thumbnail),
      ['data:a', 'data:b'],
    );
    assert.deepEqual(
      withThumbnails([screen('1')], sources).map((s) => s.thumbnail),
      [undefined],
    );
  });

  it('leaves out empty pictures', () => {
    assert.equal(withThumbnails([screen('1')], [{ displayId: '1', dataUrl: '' }])[0].thumbnail, undefined);
  });
});
