import { useEffect, useState } from 'react';
import type { ScreenAccess, ScreenInfo, SessionSnapshot, Settings, WindowChoice } from '../../server/api.js';
import { api, errorText } from './mkvcast';

export interface AppData {
  session: SessionSnapshot;
  screens: ScreenInfo[];
  /** macOS's Screen Recording permission (`not-needed` elsewhere), asked again when the window gets focus. */
  access: ScreenAccess;
  /** The settings as saved in the main process. */
  settings: Settings | null;
  setSettings: (settings: Settings) => void;
  /** Why the screens cannot be listed, when they cannot. */
  screensError: string | null;
  /** A problem talking to the main process itself (not a sharing error). */
  loadError: string | null;
  /** The windows that can be shared (asked with the screens). */
  windows: WindowChoice[];
  /** Sharing is paused (from the window, the tray, …). */
  paused: boolean;
}

const IDLE: SessionSnapshot = {
  state: { kind: 'idle' },
  links: [],
  viewers: [],
  stats: {
    captureFps: 0,
    speed: 0,
    bitrateKbps: 0,
    droppedFrames: 0,
    duplicatedFrames: 0,
    segmentsHeld: 0,
    uptimeSec: 0,
    restarts: 0,
  },
};

/** The session as the main process reports it: one snapshot at first, then the pushes. */
export function useSession(): AppData {
  const [session, setSession] = useState<SessionSnapshot>(IDLE);
  const [screens, setScreens] = useState<ScreenInfo[]>([]);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [screensError, setScreensError] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [access, setAccess] = useState<ScreenAccess>('not-needed');
  const [windows, setWindows] = useState<WindowChoice[]>([]);
  const [paused, setPaused] = useState(false);

  useEffect(() => {
    const mkvcast = api();
    let open = true;
    const unsubscribe = [
      mkvcast.onState((state, links) => setSession((s) => ({ ...s, state, links }))),
      mkvcast.onViewers((viewers) => setSession((s) => ({ ...s, viewers }))),
      mkvcast.onStats((stats) => setSession((s) => ({ ...s, stats }))),
      mkvcast.onPaused((value) => setPaused(value)),
      mkvcast.onScreens((list) => {
        setScreens(list);
        setScreensError(null);
      }),
    ];
    Promise.all([mkvcast.getState(), mkvcast.getSettings()]).then(
      ([snapshot, saved]) => {
        if (!open) return;
        setSession(snapshot);
        setPaused(snapshot.paused ?? false);
        setSettings(saved);
      },
      (error: unknown) => open && setLoadError(errorText(error)),
    );
    // Asked at first and whenever the window comes back (the user may have changed the permission,
    // and the thumbnails show what is on the screens now).
    const refresh = (): void => {
      mkvcast.listScreens().then(
        (list) => {
          if (!open) return;
          setScreens(list);
          setScreensError(null);
        },
        (error: unknown) => open && setScreensError(errorText(error)),
      );
      mkvcast.listWindows().then(
        (list) => open && setWindows(list),
        () => open && setWindows([]), // the picker then offers screens only, and says why
      );
      mkvcast.screenAccess().then(
        (value) => open && setAccess(value),
        () => undefined, // the notice is a help, not a requirement
      );
    };
    refresh();
    window.addEventListener('focus', refresh);
    return () => {
      open = false;
      window.removeEventListener('focus', refresh);
      for (const off of unsubscribe) off();
    };
  }, []);

  return { session, screens, access, settings, setSettings, screensError, loadError, windows, paused };
}
