import type { SessionState, ShareLinkInfo } from '../server/api.js';

export type TrayAction = 'start' | 'stop' | 'copy-link' | 'show' | 'quit' | 'pause' | 'resume';

export type TrayItem =
  | { kind: 'action'; label: string; action: TrayAction; enabled: boolean }
  | { kind: 'info'; label: string }
  | { kind: 'separator' };

export interface TrayModel {
  /** Which icon: idle or live (or paused, see `paused`). */
  live: boolean;
  /** Sharing is paused: the paused icon, whatever `live` says. */
  paused: boolean;
  tooltip: string;
  items: TrayItem[];
}

/**
 * The tray icon's file in assets/ (Electron picks the @2x variant on its own). macOS gets black
 * template images, which it tints for a light or dark menu bar: live is filled, idle an outline.
 */
export function trayIconFile(platform: NodeJS.Platform, live: boolean, paused = false): string {
  const state = paused ? 'paused' : live ? 'live' : 'idle';
  return platform === 'darwin' ? `tray-${state}Template.png` : `tray-${state}.png`;
}

/**
 * The tray's icon, tooltip and menu for a session state: main turns it into an Electron Menu. While
 * paused, the icon, the tooltip and the first line say so, and Resume sharing comes first.
 */
export function trayModel(
  state: SessionState,
  links: ShareLinkInfo[],
  viewerCount: number,
  paused = false,
): TrayModel {
  const running = state.kind === 'live' || state.kind === 'restarting';
  const busy = state.kind === 'starting' || state.kind === 'stopping';
  const viewers = `${viewerCount} ${viewerCount === 1 ? 'viewer' : 'viewers'}`;
  const status =
    paused && running
      ? `Paused: ${viewers} see the Paused card`
      : state.kind === 'live'
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
  const pauseItem: TrayItem[] = running
    ? [
        paused
          ? { kind: 'action', label: 'Resume sharing', action: 'resume', enabled: true }
          : { kind: 'action', label: 'Pause sharing', action: 'pause', enabled: true },
      ]
    : [];
  return {
    live: running,
    paused: paused && running,
    tooltip: `mkvcast — ${status}`,
    items: [
      { kind: 'info', label: status },
      { kind: 'separator' },
      ...pauseItem,
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
