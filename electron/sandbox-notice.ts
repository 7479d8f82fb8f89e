/**
 * Chromium's sandbox, when it is off. On Ubuntu 24.04 and later an unprofiled program may not make user
 * namespaces, so the sandbox cannot start (electron/electron#42510); electron-builder's AppImage launcher
 * then adds --no-sandbox without a word. mkvcast says so at launch, and says how to keep the sandbox:
 * the deb (it installs an AppArmor profile) or the README's steps for the AppImage and `npm start`.
 */

/** The question, as dialog.showMessageBox takes it; response 0 goes on, 1 quits. */
export interface SandboxNotice {
  type: 'warning';
  title: string;
  message: string;
  detail: string;
  buttons: string[];
  defaultId: number;
  cancelId: number;
  noLink: true;
}

/** The notice to show, or null when the sandbox is on. `noSandbox`: Electron's --no-sandbox switch. */
export function sandboxNotice(noSandbox: boolean, env: NodeJS.ProcessEnv): SandboxNotice | null {
  if (!noSandbox) return null;
  const how = env.APPIMAGE
    ? 'This AppImage turned it off because this system does not let it create user namespaces (Ubuntu 24.04 and later).'
    : 'It was started with --no-sandbox.';
  return {
    type: 'warning',
    title: 'mkvcast runs without its sandbox',
    message: "mkvcast is running without Chromium's sandbox.",
    detail: `${how} The window still loads only mkvcast's own page, but a bug in it would not be contained. To keep the sandbox, install the .deb package (it adds an AppArmor profile), or follow "Starting on Ubuntu 24.04 and later" in mkvcast's README.`,
    buttons: ['Continue without the sandbox', 'Quit'],
    defaultId: 1,
    cancelId: 1,
    noLink: true,
  };
}
