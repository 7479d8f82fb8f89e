import type { ScreenInfo } from '../api.js';
import type { CapturePlatform } from '../ffmpeg/capture.js';
import { parseRegion, regionOutside } from '../region.js';
import { SessionError } from './errors.js';

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
