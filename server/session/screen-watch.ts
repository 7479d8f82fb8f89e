import type { ScreenInfo } from '../api.js';
import type { CapturePlatform } from '../ffmpeg/capture.js';
import { displayGone, ScreenError } from '../screens.js';

export function sameGeometry(a: ScreenInfo, b: ScreenInfo): boolean {
  return a.width === b.width && a.height === b.height && a.x === b.x && a.y === b.y;
}

/** The reason shown in the 'restarting' state when the shared screen changed size. */
export function screenChangedReason(screen: ScreenInfo): string {
  return `the screen changed to ${screen.width}×${screen.height}`;
}

/** The screen to share from the list: the one asked for by id or name, else the primary, else the first. */
export function pickScreen(screens: ScreenInfo[], wanted: string): ScreenInfo {
  const screen = wanted
    ? screens.find((s) => s.id === wanted || s.name === wanted)
    : (screens.find((s) => s.primary) ?? screens[0]);
  if (!screen) {
    throw new ScreenError(
      'SCREEN_NOT_FOUND',
      wanted ? `There is no screen "${wanted}" now.` : 'No screen was found to share.',
      `Pick one of: ${screens.map((s) => s.id).join(', ') || '(none)'}.`,
    );
  }
  return screen;
}

export interface ScreenSource {
  listScreens: () => Promise<ScreenInfo[]>;
  platform: CapturePlatform;
  display: string;
}

/**
 * The screen `id` as it is now. Throws SCREEN_NOT_FOUND when it is gone, DISPLAY_GONE when the X display
 * cannot be reached any more.
 */
export async function currentScreen(source: ScreenSource, id: string): Promise<ScreenInfo> {
  let screens: ScreenInfo[];
  try {
    screens = await source.listScreens();
  } catch (error) {
    const unreachable = error instanceof ScreenError && error.code === 'DISPLAY_UNREACHABLE';
    throw unreachable && source.platform === 'linux' ? displayGone(source.display, error) : error;
  }
  const screen = screens.find((s) => s.id === id);
  if (!screen) {
    throw new ScreenError(
      'SCREEN_NOT_FOUND',
      `The screen ${id} being shared is gone.`,
      'Pick another screen and start again.',
    );
  }
  return screen;
}

export interface ScreenWatchOptions {
  pollMs: number;
  /** The screen as shared now, or null when there is nothing to watch (not live). */
  watched: () => ScreenInfo | null;
  /** Looks the screen up again (currentScreen, bound to its source). */
  lookUp: (id: string) => Promise<ScreenInfo>;
  /** The screen has another geometry now. */
  onChanged: (screen: ScreenInfo) => void;
  /** The screen is gone (SCREEN_NOT_FOUND or another error listing screens). */
  onGone: (error: unknown) => void;
}

/**
 * Looks at the shared screen every `pollMs` while live, and says what changed: a new geometry (the
 * encoder must restart at the new size) or a screen that is gone. A display that is gone is left to the
 * encoder, which fails on it and whose restart path reports it. It decides nothing itself.
 */
export class ScreenWatch {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: ScreenWatchOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One look at the screen now; the timer calls this while the watch runs. */
  async check(): Promise<void> {
    const before = this.options.watched();
    if (!before) return;
    let now: ScreenInfo;
    try {
      now = await this.options.lookUp(before.id);
    } catch (error) {
      if (error instanceof ScreenError && error.code === 'DISPLAY_GONE') return;
      if (this.timer) this.options.onGone(error);
      return;
    }
    // Stopped or changed meanwhile: what was looked up is stale.
    const after = this.options.watched();
    if (!this.timer || !after || after !== before) return;
    if (!sameGeometry(now, after)) this.options.onChanged(now);
  }
}
