/**
 * The windows the app's picker offers: server/windows.ts lists them (X11), and Electron's desktopCapturer
 * gives their thumbnails. Its window sources are named `window:<id>:<n>`, where on X11 the id is the
 * window's XID in decimal; xwininfo writes it in hex. Pure, so that Node tests cover the matching.
 */
import type { WindowChoice } from '../server/api.js';
import type { WindowInfo } from '../server/windows.js';

/** The part of Electron's DesktopCapturerSource used here. */
export interface WindowSource {
  /** `window:<id>:<n>` */
  id: string;
  /** The thumbnail as a `data:` URL; empty when the platform gave an empty picture. */
  dataUrl: string;
}

/** The picker's list from the X windows: largest first would reorder what people see, so the order stays. */
export function windowChoices(windows: WindowInfo[]): WindowChoice[] {
  return windows.map(({ id, name, className, width, height }) => ({ id, name, className, width, height }));
}

/** The X window id a desktopCapturer source names, as xwininfo writes it (`0x…`); null for other sources. */
export function sourceWindowId(sourceId: string): string | null {
  const m = /^window:(\d+):\d+$/.exec(sourceId);
  return m ? `0x${Number(m[1]).toString(16)}` : null;
}

/** Adds each source's thumbnail to the window with its id; windows without one keep none. */
export function withWindowThumbnails(windows: WindowChoice[], sources: WindowSource[]): WindowChoice[] {
  const byId = new Map<number, string>();
  for (const source of sources) {
    const id = sourceWindowId(source.id);
    if (id && source.dataUrl) byId.set(Number(id), source.dataUrl);
  }
  return windows.map((w) => {
    const thumbnail = byId.get(Number(w.id));
    return thumbnail ? { ...w, thumbnail } : w;
  });
}
