/** Errors of the Wayland capture path: the ScreenCast portal and the PipeWire reader. */

export type PortalErrorCode =
  | 'PORTAL_MISSING'
  | 'PORTAL_REFUSED'
  | 'PORTAL_FAILED'
  | 'PORTAL_CLOSED'
  | 'PORTAL_TIMEOUT'
  | 'PIPEWIRE_READER_MISSING';

export class PortalError extends Error {
  constructor(
    readonly code: PortalErrorCode,
    message: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PortalError';
  }
}

/** Which package gives each desktop its ScreenCast portal. */
export const PORTAL_PACKAGES =
  'Install the portal for your desktop: xdg-desktop-portal plus xdg-desktop-portal-gnome (GNOME), ' +
  'xdg-desktop-portal-kde (KDE Plasma) or xdg-desktop-portal-wlr (sway and other wlroots desktops), ' +
  'then log out and in again.';

export function portalMissing(detail: string, cause?: unknown): PortalError {
  return new PortalError(
    'PORTAL_MISSING',
    `This Wayland desktop offers no screen-cast portal (${detail}), so the screen cannot be shared.`,
    PORTAL_PACKAGES,
    { cause },
  );
}

export function portalRefused(step: string): PortalError {
  return new PortalError(
    'PORTAL_REFUSED',
    `Sharing was refused in the desktop's dialog (${step} was cancelled).`,
    'Start again and choose a screen or window in the dialog, then allow sharing.',
  );
}

export function portalFailed(step: string, detail: string, cause?: unknown): PortalError {
  return new PortalError(
    'PORTAL_FAILED',
    `The desktop's screen-cast portal failed at ${step}: ${detail}.`,
    'Check that the portal for your desktop is installed and running (journalctl --user -u ' +
      'xdg-desktop-portal), or share with --capture x11 from an X11 session. ' +
      PORTAL_PACKAGES,
    { cause },
  );
}

export function portalClosed(): PortalError {
  return new PortalError(
    'PORTAL_CLOSED',
    'The desktop ended the screen cast (its "stop sharing" control, or the portal went away).',
    'Start sharing again; the desktop will ask which screen to share.',
  );
}

export function portalTimeout(step: string, seconds: number): PortalError {
  return new PortalError(
    'PORTAL_TIMEOUT',
    `The desktop's screen-cast portal did not answer ${step} within ${seconds} s.`,
    'Answer the desktop dialog that asks which screen to share; if none appeared, restart the ' +
      'portal (systemctl --user restart xdg-desktop-portal).',
  );
}

export function readerMissing(binary: string, cause?: unknown): PortalError {
  return new PortalError(
    'PIPEWIRE_READER_MISSING',
    `${binary} was not found, and it reads the PipeWire stream of a Wayland screen.`,
    'Install GStreamer with its PipeWire plugin: apt-get install gstreamer1.0-tools ' +
      'gstreamer1.0-pipewire (Debian, Ubuntu) or dnf install gstreamer1-plugins-base-tools ' +
      'pipewire-gstreamer (Fedora).',
    { cause },
  );
}
