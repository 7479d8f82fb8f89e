import type { SessionState, ShareLinkInfo } from '../server/api.js';

export type TrayAction = 'start' | 'stop' | 'copy-link' | 'show' | 'quit';

export type TrayItem =
  | { kind: 'action'; label: string; action: TrayAction; enabled: boolean }
  | { kind: 'info'; label: string }
  | { kind: 'separator' };

export interface TrayModel {
  /** Which icon: idle or live. */
  live: boolean;
  tooltip: string;
  items: TrayItem[];
}

/**
 * The tray icon's file in assets/ (Electron picks the @2x variant on its own). macOS gets black
 * template images, which it tints for a light or dark menu bar: live is filled, idle an outline.
 */
export function trayIconFile(platform: NodeJS.Platform, live: boolean): string {
  const state = live ? 'live' : 'idle';
  return platform === 'darwin' ? `tray-${state}Template.png` : `tray-${state}.png`;
}

/** The tray's icon, tooltip and menu for a session state: main turns it into an Electron Menu. */
export function trayModel(state: SessionState, links: ShareLinkInfo[], viewerCount: number): TrayModel {
  const running = state.kind === 'live' || state.kind === 'restarting';
  const busy = state.kind === 'starting' || state.kind === 'stopping';
  const viewers = `${viewerCount} ${viewerCount === 1 ? 'viewer' : 'viewers'}`;
  const status =
    state.kind === 'live'
      ? `Sharing: ${viewers}`
      : state.kind === 'restarting'
        ? `Restarting: ${viewers}`
        : state.kind === 'error'
          ? `Stopped: ${state.error.message}`
          : busy
            ? state.kind === 'starting'
              ? 'Starting…'
              : 'Stopping…'
            : 'Not sharing';
  return {
    live: running,
    tooltip: `mkvcast — ${status}`,
    items: [
      { kind: 'info', label: status },
      { kind: 'separator' },
      running
        ? { kind: 'action', label: 'Stop sharing', action: 'stop', enabled: true }
        : { kind: 'action', label: 'Start sharing', action: 'start', enabled: !busy },
      { kind: 'action', label: 'Copy link', action: 'copy-link', enabled: running && links.length > 0 },
      { kind: 'separator' },
      { kind: 'action', label: 'Show window', action: 'show', enabled: true },
      { kind: 'action', label: 'Quit mkvcast', action: 'quit', enabled: true },
    ],
  };
}
