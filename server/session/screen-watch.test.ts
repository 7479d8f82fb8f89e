import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScreenInfo } from '../api.js';
import { ScreenError } from '../screens.js';
import { currentScreen, pickScreen, ScreenWatch } from './screen-watch.js';

const HDMI: ScreenInfo = {
  id: 'HDMI-1',
  name: 'HDMI-1',
  x: 0,
  y: 0,
  width: 1920,
  height: 1080,
  scaleFactor: 1,
  primary: false,
};
const DP: ScreenInfo = { ...HDMI, id: 'DP-1', name: 'DP-1', x: 1920, primary: true };

/** A watch over `screens()`, started, with what it said. */
function watching(screens: () => Promise<ScreenInfo[]>, watched: ScreenInfo | null = HDMI) {
  const said: string[] = [];
  const watch = new ScreenWatch({
    pollMs: 3_600_000, // checks are called by hand here
    watched: () => watched,
    lookUp: (id) => currentScreen({ listScreens: screens, platform: 'linux', display: ':99' }, id),
    onChanged: (screen) => said.push(`changed ${screen.width}x${screen.height}`),
    onGone: (error) => said.push(`gone ${(error as ScreenError).code}`),
  });
  watch.start();
  return { watch, said };
}

describe('screen watch', () => {
  it('picks the screen asked for by id or name, else the primary, and says which exist when it is missing', () => {
    assert.equal(pickScreen([HDMI, DP], 'HDMI-1').id, 'HDMI-1');
    assert.equal(pickScreen([HDMI, DP], '').id, 'DP-1');
    assert.throws(() => pickScreen([HDMI, DP], 'VGA-1'), {
      code: 'SCREEN_NOT_FOUND',
      fix: 'Pick one of: HDMI-1, DP-1.',
    });
  });

  it('reports a new geometry, and nothing while the screen stays the same', async () => {
    let screens = [HDMI, DP];
    const { watch, said } = watching(async () => screens);
    await watch.check();
    assert.deepEqual(said, []);
    screens = [{ ...HDMI, width: 1280, height: 720 }, DP];
    await watch.check();
    assert.deepEqual(said, ['changed 1280x720']);
    watch.stop();
  });

  it('reports an unplugged screen as gone, and leaves a display that is gone to the encoder', async () => {
    let up = true;
    const { watch, said } = watching(async () => {
      if (!up) throw new ScreenError('DISPLAY_UNREACHABLE', 'Cannot open display :99.', '');
      return [DP];
    });
    await watch.check();
    assert.deepEqual(said, ['gone SCREEN_NOT_FOUND']);
    up = false;
    await watch.check();
    assert.deepEqual(said, ['gone SCREEN_NOT_FOUND'], 'DISPLAY_GONE is not reported by the watch');
    watch.stop();
  });

  it('says nothing once stopped or while nothing is shared', async () => {
    const resized = async () => [{ ...HDMI, width: 800, height: 600 }];
    const idle = watching(resized, null);
    await idle.watch.check();
    assert.deepEqual(idle.said, []);
    const stopped = watching(resized);
    stopped.watch.stop();
    await stopped.watch.check();
    assert.deepEqual(stopped.said, []);
  });
});
