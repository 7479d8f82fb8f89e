/**
 * The windows the app's picker offers: server/windows.ts lists them (X11), and Electron's desktopCapturer
 * gives their thumbnails. Its window sources are named `window:<id>:<n>`, where on X11 the id is the
 * window's XID in decimal; xwininfo writes it in hex. Pure, so that Node tests cover the matching.
 *
 * On Windows, gdigrab captures a window by its title (`title=`), so the list is desktopCapturer's own,
 * by name (windowChoicesByTitle). That path is unit-tested with sources shaped as Electron gives them;
 * it cannot run here (no Windows machine).
 */
import type { WindowChoice } from '../server/api.js';
import { validateSettings } from '../server/settings.js';
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

/** A desktopCapturer window source with its name: the window's title on Windows. */
export interface NamedWindowSource extends WindowSource {
  name: string;
}

/**
 * The picker's list on Windows: one choice per window title, since Settings.window is the title there
 * and gdigrab shares the first window it finds with it. A title several windows have says how many
 * (`sameTitleCount`), so the picker can warn; the thumbnail is the first such window's. Windows without
 * a title, or with one that is not a valid Settings.window, cannot be shared by title and are left out.
 * The size and class are not known from desktopCapturer: 0 and ''.
 */
export function windowChoicesByTitle(sources: NamedWindowSource[]): WindowChoice[] {
  const byTitle = new Map<string, WindowChoice>();
  for (const source of sources) {
    if (!source.id.startsWith('window:') || source.name.trim() === '') continue;
    if (validateSettings({ window: source.name }).errors.length > 0) continue;
    const same = byTitle.get(source.name);
    if (same) {
      same.sameTitleCount = (same.sameTitleCount ?? 1) + 1;
      if (!same.thumbnail && source.dataUrl) same.thumbnail = source.dataUrl;
      continue;
    }
    const choice: WindowChoice = { id: source.name, name: source.name, className: '', width: 0, height: 0 };
    if (source.dataUrl) choice.thumbnail = source.dataUrl;
    byTitle.set(source.name, choice);
  }
  return [...byTitle.values()];
}
