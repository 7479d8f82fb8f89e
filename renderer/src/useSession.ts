import { useEffect, useState } from 'react';
import type { ScreenInfo, SessionSnapshot, Settings } from '../../server/api.js';
import { api } from './mkvcast';

export interface AppData {
  session: SessionSnapshot;
  screens: ScreenInfo[];
  /** The settings as saved in the main process. */
  settings: Settings | null;
  setSettings: (settings: Settings) => void;
  /** Why the screens cannot be listed, when they cannot. */
  screensError: string | null;
  /** A problem talking to the main process itself (not a sharing error). */
  loadError: string | null;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

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

  useEffect(() => {
    const mkvcast = api();
    let open = true;
    const unsubscribe = [
      mkvcast.onState((state, links) => setSession((s) => ({ ...s, state, links }))),
      mkvcast.onViewers((viewers) => setSession((s) => ({ ...s, viewers }))),
      mkvcast.onStats((stats) => setSession((s) => ({ ...s, stats }))),
      mkvcast.onScreens((list) => {
        setScreens(list);
        setScreensError(null);
      }),
    ];
    Promise.all([mkvcast.getState(), mkvcast.getSettings()]).then(
      ([snapshot, saved]) => {
        if (!open) return;
        setSession(snapshot);
        setSettings(saved);
      },
      (error: unknown) => open && setLoadError(message(error)),
    );
    mkvcast.listScreens().then(
      (list) => open && setScreens(list),
      (error: unknown) => open && setScreensError(message(error)),
    );
    return () => {
      open = false;
      for (const off of unsubscribe) off();
    };
  }, []);

  return { session, screens, settings, setSettings, screensError, loadError };
}
