import type { ScreenInfo } from '../api.js';
import type { CapturePlatform } from '../ffmpeg/capture.js';
import { parseRegion, regionOutside } from '../region.js';
import { SessionError } from './errors.js';

/** Throws when a window cannot be captured here (a settings error on `window`). */
export function checkWindow(window: string, region: string, platform: CapturePlatform): void {
  if (window === '') return;
  if (platform === 'darwin') {
    throw new SessionError(
      'INVALID_SETTINGS',
      'Sharing one window is not supported on macOS (ffmpeg 5.1 has no ScreenCaptureKit capture).',
      'Share the screen, or a region of it, instead.',
      'window',
    );
  }
  if (region !== '') {
    throw new SessionError(
      'INVALID_SETTINGS',
      'A window and a region cannot be shared at once.',
      'Clear one of them.',
      'region',
    );
  }
}

/** Throws when a region setting cannot be captured from this screen here (a settings error on `region`). */
export function checkRegion(regionText: string, screen: ScreenInfo, platform: CapturePlatform): void {
  const region = regionText === '' ? null : parseRegion(regionText);
  if (!region) return;
  if (platform === 'darwin') {
    throw new SessionError(
      'INVALID_SETTINGS',
      'Sharing a region of the screen is not supported on macOS yet (avfoundation captures whole screens).',
      'Clear the region to share the whole screen.',
      'region',
    );
  }
  const problem = regionOutside(region, screen);
  if (problem) {
    throw new SessionError(
      'INVALID_SETTINGS',
      problem,
      'Pick a region inside the screen, or another screen.',
      'region',
      [{ field: 'region', message: problem }],
    );
  }
}
