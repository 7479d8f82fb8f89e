import { EventEmitter } from 'node:events';
import type {
  FieldError,
  SaveSettingsResult,
  ScreenAccess,
  ScreenInfo,
  SessionSnapshot,
  SessionState,
  SessionStats,
  Settings,
  StartResult,
  ViewerInfo,
} from '../server/api.js';
import { toUserError, type SharingSession } from '../server/session/session.js';
import { newToken, validateSettings } from '../server/settings.js';

export interface ControllerDeps {
  session: SharingSession;
  listScreens: () => Promise<ScreenInfo[]>;
  /** Stores the settings (the app writes its settings file). */
  persist: (settings: Settings) => Promise<void>;
  copyText: (text: string) => void;
  /** macOS's Screen Recording permission (default: `not-needed`, as on Linux and Windows). */
  screenAccess?: () => ScreenAccess;
  /** Opens the system pane where that permission is given. */
  openScreenAccessSettings?: () => Promise<void>;
}

/**
 * What the window's requests do, over a SharingSession: the main process's side of MkvcastApi without
 * Electron, so that the renderer can be tested against it in Chromium. Arguments arrive unchecked
 * (IPC) and are checked here or by validateSettings.
 *
 * Events: 'state' (SessionState, ShareLinkInfo[]), 'viewers' (ViewerInfo[]), 'stats' (SessionStats).
 */
export class AppController extends EventEmitter {
  private readonly deps: ControllerDeps;
  private readonly forward = {
    state: (state: SessionState) => this.emit('state', state, this.deps.session.links),
    viewers: (viewers: ViewerInfo[]) => this.emit('viewers', viewers),
    stats: (stats: SessionStats) => this.emit('stats', stats),
  };

  constructor(deps: ControllerDeps) {
    super();
    this.deps = deps;
    const { session } = deps;
    session.on('state', this.forward.state);
    session.on('viewers', this.forward.viewers);
    session.on('stats', this.forward.stats);
  }

  listScreens(): Promise<ScreenInfo[]> {
    return this.deps.listScreens();
  }

  getSettings(): Settings {
    return this.deps.session.settings;
  }

  /** Checks and stores new settings; a running session takes them at once. The token is not changed here. */
  async saveSettings(input: unknown): Promise<SaveSettingsResult> {
    const current = this.deps.session.settings;
    const { settings, errors } = validateSettings(input, current);
    if (errors.length > 0) return { ok: false, errors };
    settings.token = current.token;
    const refused = await this.applyToSession(settings);
    if (refused.length > 0) return { ok: false, errors: refused };
    try {
      await this.deps.persist(settings);
    } catch (error) {
      // The session runs with them anyway; the window says they were not stored, and why.
      return { ok: true, settings, warning: error instanceof Error ? error.message : String(error) };
    }
    return { ok: true, settings };
  }

  async start(): Promise<StartResult> {
    try {
      await this.deps.session.start();
      return { ok: true };
    } catch (error) {
      return { ok: false, error: toUserError(error) };
    }
  }

  stop(): Promise<void> {
    return this.deps.session.stop();
  }

  kick(viewerId: string): boolean {
    return this.deps.session.kick(viewerId);
  }

  /** Copies a link, or a player command holding one: only text about the current links. */
  copyLink(text: string): void {
    if (!this.deps.session.links.some((link) => text.includes(link.url))) {
      throw new Error('Only the links of the running session can be copied.');
    }
    this.deps.copyText(text);
  }

  /** A new viewer token: links sent before stop working (a running session restarts with it). */
  async newToken(): Promise<Settings> {
    const settings = { ...this.deps.session.settings, token: newToken() };
    await this.applyToSession(settings);
    await this.deps.persist(settings);
    return settings;
  }

  /**
   * A running session restarts with new server settings; when that restart fails (the new port is in
   * use), the settings are still the ones asked for and the session's 'error' state tells the window.
   */
  private async applyToSession(settings: Settings): Promise<FieldError[]> {
    try {
      return await this.deps.session.updateSettings(settings);
    } catch {
      return [];
    }
  }

  screenAccess(): ScreenAccess {
    return this.deps.screenAccess?.() ?? 'not-needed';
  }

  async openScreenAccessSettings(): Promise<void> {
    if (!this.deps.openScreenAccessSettings) {
      throw new Error('This system has no screen recording permission to change.');
    }
    await this.deps.openScreenAccessSettings();
  }

  getState(): SessionSnapshot {
    const { session } = this.deps;
    return { state: session.state, links: session.links, viewers: session.viewers(), stats: session.stats() };
  }

  /** Stops listening to the session (the session itself is the caller's). */
  close(): void {
    const { session } = this.deps;
    session.off('state', this.forward.state);
    session.off('viewers', this.forward.viewers);
    session.off('stats', this.forward.stats);
  }
}
