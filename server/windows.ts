/**
 * The windows of an X display, for `share --window`: `xwininfo -root -tree` lists every window with its
 * WM_CLASS and geometry; an application's window is one that has a class (a window manager's frames and
 * a toolkit's inner windows have none). xwininfo cannot print a title outside Latin-1 ("name in
 * unsupported encoding"): those are read again with xprop, which prints _NET_WM_NAME as UTF-8.
 *
 * x11grab captures a window by id (`-window_id`), and follows it when it moves: it reads the window's
 * own pixels. On Windows gdigrab captures by title (`title=`); macOS's avfoundation has no window
 * capture (that needs ScreenCaptureKit, which ffmpeg 5.1 does not have).
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WindowInfo {
  /** The X window id, `0x…`. */
  id: string;
  name: string;
  /** WM_CLASS's class part, e.g. `XTerm`. */
  className: string;
  width: number;
  height: number;
  /** Position on the whole desktop. */
  x: number;
  y: number;
}

export type WindowErrorCode =
  'WINDOW_NOT_FOUND' | 'WINDOW_AMBIGUOUS' | 'WINDOW_LIST_FAILED' | 'WINDOW_CLOSED';

export class WindowError extends Error {
  override readonly name = 'WindowError';
  constructor(
    readonly code: WindowErrorCode,
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

const LINE =
  /^\s*(0x[0-9a-f]+) (?:"(.*)"|\(has no name\)|\(name in unsupported encoding [^)]*\)): \((?:"([^"]*)" "([^"]*)")?\)\s+(\d+)x(\d+)[+-]-?\d+[+-]-?\d+\s+\+(-?\d+)\+(-?\d+)/;

/** The application windows in `xwininfo -root -tree` output; `name` is null where xwininfo could not say it. */
export function parseWindowTree(text: string): (Omit<WindowInfo, 'name'> & { name: string | null })[] {
  const windows: (Omit<WindowInfo, 'name'> & { name: string | null })[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m || m[4] === undefined) continue;
    const [width, height, x, y] = [m[5], m[6], m[7], m[8]].map(Number);
    if (width < 16 || height < 16) continue;
    windows.push({ id: m[1], name: m[2] ?? null, className: m[4], width, height, x, y });
  }
  return windows;
}

/** `_NET_WM_NAME(UTF8_STRING) = "…"` or `WM_NAME(STRING) = "…"` to the title. */
export function parseXpropName(text: string): string | null {
  const m =
    /^_NET_WM_NAME\(UTF8_STRING\) = "(.*)"$/m.exec(text) ?? /^WM_NAME\([A-Z_]+\) = "(.*)"$/m.exec(text);
  return m ? m[1].replace(/\\(.)/g, '$1') : null;
}

/** The application windows on `display`, with their titles. */
export async function listX11Windows(display: string): Promise<WindowInfo[]> {
  const env = { ...process.env, DISPLAY: display };
  let tree: string;
  try {
    tree = (await run('xwininfo', ['-root', '-tree'], { env, timeout: 5000 })).stdout;
  } catch (error) {
    throw new WindowError(
      'WINDOW_LIST_FAILED',
      `Could not list the windows of display ${display}: ${(error as Error).message}.`,
      'Install x11-utils (xwininfo, xprop), and check that the display is running.',
    );
  }
  const windows: WindowInfo[] = [];
  for (const w of parseWindowTree(tree)) {
    let name = w.name;
    if (name === null) {
      const props = await run('xprop', ['-id', w.id, '_NET_WM_NAME', 'WM_NAME'], {
        env,
        timeout: 5000,
      }).catch(() => null);
      name = props ? parseXpropName(props.stdout) : null;
    }
    windows.push({ ...w, name: name ?? '' });
  }
  return windows;
}

/** The window `wanted` names: its id (`0x…` or decimal), its exact title, or a part of one title only. */
export function pickWindow(windows: WindowInfo[], wanted: string): WindowInfo {
  const asNumber = /^(0x[0-9a-f]+|\d+)$/i.test(wanted) ? Number(wanted) : NaN;
  const byId = windows.find((w) => Number(w.id) === asNumber);
  if (byId) return byId;
  const exact = windows.filter((w) => w.name === wanted);
  if (exact.length === 1) return exact[0];
  const lower = wanted.toLowerCase();
  const partial = exact.length > 1 ? exact : windows.filter((w) => w.name.toLowerCase().includes(lower));
  if (partial.length === 1) return partial[0];
  const list = (ws: WindowInfo[]): string => ws.map((w) => `${w.id} "${w.name}"`).join(', ');
  if (partial.length > 1) {
    throw new WindowError(
      'WINDOW_AMBIGUOUS',
      `Several windows match "${wanted}": ${list(partial)}.`,
      'Give the window id instead (mkvcast share --list-windows lists them).',
    );
  }
  throw new WindowError(
    'WINDOW_NOT_FOUND',
    `There is no window "${wanted}" on this display${windows.length ? `; there are ${list(windows)}` : ''}.`,
    'Pick one from mkvcast share --list-windows, by id or title.',
  );
}

/**
 * Null while window `id` exists on `display`; otherwise the error that ends sharing. Asked only after
 * the encoder stopped (x11grab then says "Can't find window"), so a synchronous xwininfo is fine there.
 */
export function windowClosed(display: string, id: string): WindowError | null {
  try {
    execFileSync('xwininfo', ['-id', id], {
      env: { ...process.env, DISPLAY: display },
      stdio: 'ignore',
      timeout: 5000,
    });
    return null;
  } catch {
    return new WindowError(
      'WINDOW_CLOSED',
      `The window ${id} that was being shared has closed, so sharing has stopped.`,
      'Start sharing again with another window (mkvcast share --list-windows), or the screen.',
    );
  }
}

/** `Width: 484` and `Height: 316` in `xwininfo -id` output; null when either is missing. */
export function parseWindowSize(text: string): { width: number; height: number } | null {
  const width = /^\s*Width: (\d+)$/m.exec(text);
  const height = /^\s*Height: (\d+)$/m.exec(text);
  return width && height ? { width: Number(width[1]), height: Number(height[1]) } : null;
}

/**
 * The size of window `id` now, or null when it cannot be read (closed, no xwininfo). Asked only when a
 * paused run starts (the card is made at the window's size), so a synchronous xwininfo is fine there.
 */
export function windowSize(display: string, id: string): { width: number; height: number } | null {
  try {
    const text = execFileSync('xwininfo', ['-id', id], {
      env: { ...process.env, DISPLAY: display },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    return parseWindowSize(text);
  } catch {
    return null;
  }
}
