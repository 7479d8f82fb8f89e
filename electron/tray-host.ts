/**
 * Whether a tray icon would be seen. macOS's menu bar and Windows' notification area always show it.
 * On Linux, Electron's tray is a StatusNotifierItem, shown only where a StatusNotifierWatcher runs on
 * the session bus (KDE, Cinnamon, XFCE, GNOME with the AppIndicator extension; plain GNOME has none).
 * `gdbus` asks the bus; when it cannot answer (no bus, no gdbus), the tray counts as unseen, the safe
 * side: closing the window then asks instead of hiding.
 */
import { execFile } from 'node:child_process';

const WATCHER = 'org.kde.StatusNotifierWatcher';
const ASK_TIMEOUT_MS = 2000;

/** The gdbus call that asks whether the watcher's name has an owner. */
export const WATCHER_QUERY = [
  'call',
  '--session',
  '--dest',
  'org.freedesktop.DBus',
  '--object-path',
  '/org/freedesktop/DBus',
  '--method',
  'org.freedesktop.DBus.NameHasOwner',
  WATCHER,
];

/** gdbus prints `(true,)` or `(false,)`. */
export function ownerAnswer(stdout: string): boolean {
  return /^\(true,\)\s*$/.test(stdout.trim());
}

/** What `trayVisible` runs: gdbus's stdout, or an error. */
export type RunGdbus = (args: string[]) => Promise<string>;

const runGdbus: RunGdbus = (args) =>
  new Promise((resolve, reject) => {
    execFile('gdbus', args, { timeout: ASK_TIMEOUT_MS }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });

export async function trayVisible(platform: NodeJS.Platform, run: RunGdbus = runGdbus): Promise<boolean> {
  if (platform !== 'linux') return true;
  try {
    return ownerAnswer(await run(WATCHER_QUERY));
  } catch {
    return false;
  }
}
