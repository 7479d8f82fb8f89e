import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ScreenInfo } from './api.js';

const run = promisify(execFile);

/**
 * Parses `xrandr --listmonitors`:
 *   Monitors: 2
 *    0: +*HDMI-1 1920/509x1080/286+0+0  HDMI-1
 *    1: +DP-1 1280/338x1024/270+1920+0  DP-1
 * (`*` marks the primary monitor; sizes are pixels/millimetres.)
 */
export function parseXrandrMonitors(text: string): ScreenInfo[] {
  const screens: ScreenInfo[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\d+:\s+\+?(\*?)(\S+)\s+(\d+)\/\d+x(\d+)\/\d+\+(-?\d+)\+(-?\d+)\s+(\S+)?/.exec(line);
    if (!m) continue;
    const [, star, name, w, h, x, y, output] = m;
    const id = output ?? name;
    screens.push({
      id,
      name: `${id} (${w}×${h})`,
      x: Number(x),
      y: Number(y),
      width: Number(w),
      height: Number(h),
      scaleFactor: 1,
      primary: star === '*',
    });
  }
  if (screens.length > 0 && !screens.some((s) => s.primary)) screens[0].primary = true;
  return screens;
}

/** The whole root window from `xdpyinfo` (`dimensions:    1280x720 pixels (…)`), when RandR lists nothing. */
export function parseXdpyinfo(text: string): ScreenInfo[] {
  const m = /dimensions:\s+(\d+)x(\d+) pixels/.exec(text);
  if (!m) return [];
  const [width, height] = [Number(m[1]), Number(m[2])];
  return [
    {
      id: 'screen',
      name: `Whole screen (${width}×${height})`,
      x: 0,
      y: 0,
      width,
      height,
      scaleFactor: 1,
      primary: true,
    },
  ];
}

/** What Electron's `screen.getAllDisplays()` gives, reduced to what we use. */
export interface ElectronDisplay {
  id: number;
  label?: string;
  bounds: { x: number; y: number; width: number; height: number };
  scaleFactor: number;
}

/** Electron displays (DIP) to capture regions in physical pixels: DIP × scale factor, even sizes. */
export function screensFromDisplays(displays: readonly ElectronDisplay[], primaryId: number): ScreenInfo[] {
  return displays.map((d) => {
    const width = Math.round(d.bounds.width * d.scaleFactor);
    const height = Math.round(d.bounds.height * d.scaleFactor);
    return {
      id: String(d.id),
      name: `${d.label || `Display ${d.id}`} (${width}×${height})`,
      x: Math.round(d.bounds.x * d.scaleFactor),
      y: Math.round(d.bounds.y * d.scaleFactor),
      width,
      height,
      scaleFactor: d.scaleFactor,
      primary: d.id === primaryId,
    };
  });
}

export type ScreenErrorCode =
  'NO_DISPLAY' | 'WAYLAND' | 'DISPLAY_UNREACHABLE' | 'DISPLAY_GONE' | 'SCREEN_NOT_FOUND';

/** The screens cannot be listed or captured: what happened, and what to do. */
export class ScreenError extends Error {
  override readonly name = 'ScreenError';
  constructor(
    readonly code: ScreenErrorCode,
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

/** The display being shared cannot be reached any more: the X server stopped, or the user logged out. */
export function displayGone(display: string, cause: unknown): ScreenError {
  const error = new ScreenError(
    'DISPLAY_GONE',
    `The display ${display} went away while it was being shared, so sharing has stopped.`,
    'Start sharing again once the desktop is back (after logging in again, or restarting the X server).',
  );
  error.cause = cause;
  return error;
}

/**
 * Why x11grab cannot capture here, or null when it can. On Wayland, x11grab sees only XWayland
 * windows: the picture would be black, so we say so instead.
 */
export function x11Problem(env: NodeJS.ProcessEnv, display: string | undefined): ScreenError | null {
  if (env.XDG_SESSION_TYPE === 'wayland') {
    return new ScreenError(
      'WAYLAND',
      'This is a Wayland session: screen capture through X11 would only show a black picture.',
      'Log in with an X11 ("Xorg") session to share the screen, or serve a stream from another tool with `mkvcast serve`.',
    );
  }
  if (!display) {
    return new ScreenError(
      'NO_DISPLAY',
      'There is no X display to capture (DISPLAY is not set).',
      'Run this inside your desktop session, or pass --display :0.',
    );
  }
  return null;
}

/** The screens of an X display: RandR monitors, else the whole root window. */
export async function listX11Screens(display: string): Promise<ScreenInfo[]> {
  const env = { ...process.env, DISPLAY: display };
  try {
    const { stdout } = await run('xrandr', ['--listmonitors'], { env, timeout: 5000 });
    const screens = parseXrandrMonitors(stdout);
    if (screens.length > 0) return screens;
  } catch {
    // No xrandr, or no RandR on this server: the root window below.
  }
  try {
    const { stdout } = await run('xdpyinfo', [], { env, timeout: 5000 });
    const screens = parseXdpyinfo(stdout);
    if (screens.length > 0) return screens;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ScreenError(
        'DISPLAY_UNREACHABLE',
        'Neither xrandr nor xdpyinfo is installed, so the screens cannot be listed.',
        'Install them: sudo apt-get install x11-xserver-utils x11-utils.',
      );
    }
  }
  throw new ScreenError(
    'DISPLAY_UNREACHABLE',
    `Cannot open the X display ${display}.`,
    'Check that the display exists (echo $DISPLAY) and that this user may use it.',
  );
}
