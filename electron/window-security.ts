/**
 * The window's security settings (Electron's security checklist), as plain values and functions that
 * main.ts hands to Electron, so that Node tests can call them without Electron's binary.
 */
import type { BrowserWindowConstructorOptions } from 'electron';

export interface WindowFiles {
  /** The bundled preload (preload.cjs). */
  preload: string;
  icon: string;
  /** Developer tools: only when not packaged. */
  devTools: boolean;
}

/** The one window: no Node.js in the page, context isolation, the sandbox, web security (items 2–4, 6, 8–10). */
export function windowOptions(files: WindowFiles): BrowserWindowConstructorOptions {
  return {
    width: 920,
    height: 860,
    minWidth: 420,
    minHeight: 480,
    show: false,
    title: 'mkvcast',
    icon: files.icon,
    webPreferences: {
      preload: files.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      devTools: files.devTools,
    },
  };
}

/** What lockDownSession needs of Electron's Session. */
export interface PermissionSession {
  setPermissionRequestHandler(
    handler: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void,
  ): void;
  setPermissionCheckHandler(handler: () => boolean): void;
}

/** Every permission the page asks for (camera, notifications, …) or checks is refused (item 5). */
export function lockDownSession(session: PermissionSession): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/** An event whose default Electron's listener can cancel. */
export interface Cancellable {
  preventDefault(): void;
}

/** What lockDownContents needs of Electron's WebContents. */
export interface LockableContents {
  on(event: 'will-navigate', listener: (event: Cancellable) => void): unknown;
  on(event: 'will-redirect', listener: (event: Cancellable) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: Cancellable) => void): unknown;
  setWindowOpenHandler(handler: () => { action: 'deny' }): void;
}

/** Any web page the app creates: no navigation, no redirects, no webviews, no new windows (items 12–14). */
export function lockDownContents(contents: LockableContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
