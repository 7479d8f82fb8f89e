/**
 * The app's screens beyond what server/screens.ts knows: macOS's Screen Recording permission, and the
 * thumbnails Electron's desktopCapturer gives for the picker. Pure, so that Node tests cover them.
 */
import type { ScreenAccess, ScreenInfo } from '../server/api.js';

/** System Settings → Privacy & Security → Screen Recording (macOS 10.15 and later). */
export const SCREEN_RECORDING_PANE =
  'x-apple.systempreferences:com.apple.preference.security?Privacy_ScreenCapture';

const MAC_STATUSES = new Set<string>(['granted', 'not-determined', 'denied', 'restricted', 'unknown']);

/** `systemPreferences.getMediaAccessStatus('screen')` as a ScreenAccess; only macOS asks. */
export function screenAccessFrom(platform: NodeJS.Platform, status: () => string): ScreenAccess {
  if (platform !== 'darwin') return 'not-needed';
  const value = status();
  return MAC_STATUSES.has(value) ? (value as ScreenAccess) : 'unknown';
}

/** Thumbnails are asked for only when that cannot pop up a permission prompt or fail for lack of one. */
export function mayTakeThumbnails(access: ScreenAccess): boolean {
  return access === 'granted' || access === 'not-needed';
}

/** The part of Electron's DesktopCapturerSource used here. */
export interface ScreenSource {
  /** The display's id as a string; empty when the platform does not say (some Linux setups). */
  displayId: string;
  /** The thumbnail as a `data:` URL; empty when the platform gave an empty picture. */
  dataUrl: string;
}

/**
 * Adds each source's thumbnail to the screen with its display id. When no source names its display
 * and there are as many sources as screens, they are matched in order (Electron lists both by position).
 */
export function withThumbnails(screens: ScreenInfo[], sources: ScreenSource[]): ScreenInfo[] {
  const byId = new Map(sources.filter((s) => s.displayId && s.dataUrl).map((s) => [s.displayId, s.dataUrl]));
  const inOrder = byId.size === 0 && sources.length === screens.length;
  return screens.map((screen, i) => {
    const thumbnail = inOrder ? sources[i].dataUrl : byId.get(screen.id);
    return thumbnail ? { ...screen, thumbnail } : screen;
  });
}
