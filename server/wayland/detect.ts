/** Which way `share` captures the screen: the ScreenCast portal on Wayland, x11grab on X11. */
export type CaptureBackend = 'portal' | 'x11';

export const CAPTURE_BACKENDS: readonly CaptureBackend[] = ['portal', 'x11'];

/**
 * The backend for this session. A Wayland session (XDG_SESSION_TYPE=wayland, or WAYLAND_DISPLAY set)
 * gets the portal even when DISPLAY is set too: XWayland's root window shows X11 windows only, so
 * x11grab would capture black where the Wayland windows are. `--capture` overrides the guess.
 */
export function pickCaptureBackend(env: NodeJS.ProcessEnv, override?: CaptureBackend): CaptureBackend {
  if (override) return override;
  if (env.XDG_SESSION_TYPE === 'wayland' || (env.WAYLAND_DISPLAY ?? '') !== '') return 'portal';
  return 'x11';
}

/** `--capture` text to a backend, or null when it is neither. */
export function parseCaptureBackend(text: string): CaptureBackend | null {
  return (CAPTURE_BACKENDS as readonly string[]).includes(text) ? (text as CaptureBackend) : null;
}
