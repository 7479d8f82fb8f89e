import { EventEmitter } from 'node:events';
import { basename, extname, isAbsolute } from 'node:path';
import type {
  AddPushResult,
  AudioDeviceList,
  CaptureWay,
  ChooseFfmpegResult,
  FieldError,
  SaveSettingsResult,
  ScreenAccess,
  ScreenInfo,
  SessionSnapshot,
  SessionState,
  SessionStats,
  Settings,
  ShareLinkInfo,
  StartResult,
  PushEntry,
  UserError,
  ViewerInfo,
  WindowChoice,
} from '../server/api.js';
import { toUserError, type SharingSession } from '../server/session/session.js';
import { newToken, validateSettings } from '../server/settings.js';
import { FfmpegPathError, verifyFfmpegPath } from './ffmpeg-path.js';
import type { PortalChoice } from './portal-capture.js';
import type { PushList } from './push-list.js';

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
  /** The main process's file dialog for the ffmpeg program: the picked path, or null when cancelled. */
  pickFfmpegFile?: () => Promise<string | null>;
  /** The main process's save dialog for the recording: the chosen path, or null when cancelled. */
  pickRecordFile?: () => Promise<string | null>;
  /** The app's pushes (relays), kept in main's private file; none: the window cannot add any. */
  pushes?: PushList;
  /** Checks a picked ffmpeg (default: verifyFfmpegPath, which runs it with -version). */
  verifyFfmpeg?: (path: string) => Promise<string>;
  /** The windows that can be shared (default: none, where the platform cannot capture one). */
  listWindows?: () => Promise<WindowChoice[]>;
  /**
   * A Wayland session (issue 16): the session captures through the desktop's ScreenCast portal (its
   * deps from PortalCapture), the desktop's dialog picks the screen, and the cast is closed whenever
   * sharing ends. None: screens are picked in the window.
   */
  portal?: PortalChoice;
}

/** The controller's events and their arguments: what main pushes to the window (PushPayloads). */
export interface ControllerEvents {
  state: [state: SessionState, links: ShareLinkInfo[]];
  viewers: [viewers: ViewerInfo[]];
  stats: [stats: SessionStats];
  paused: [paused: boolean];
  notice: [notice: UserError];
}

/** Why an ffmpegPath from the window is refused: only main's own dialog names a program to run. */
export const UNCHECKED_FFMPEG_PATH =
  'The ffmpeg path can only be set with "Choose…", where mkvcast checks the program.';

/**
 * What the window's requests do, over a SharingSession: the main process's side of MkvcastApi without
 * Electron, so that the renderer can be tested against it in Chromium. Arguments arrive unchecked
 * (IPC) and are checked here or by validateSettings.
 *
 * Events: ControllerEvents.
 */
export class AppController extends EventEmitter<ControllerEvents> {
  private readonly deps: ControllerDeps;
  /** The ffmpeg paths picked in main's dialog and checked there, in this run: the only new ones saved. */
  private readonly checkedFfmpegPaths = new Set<string>();
  private readonly forward = {
    state: (state: SessionState) => this.emit('state', state, this.deps.session.links),
    viewers: (viewers: ViewerInfo[]) => this.emit('viewers', viewers),
    stats: (stats: SessionStats) => this.emit('stats', stats),
    paused: (paused: boolean) => this.emit('paused', paused),
    notice: (notice: UserError) => this.emit('notice', notice),
  };
  /** Sharing ended (stopped, or failed): the Wayland cast and its reader go with it. */
  private readonly closePortal = (state: SessionState): void => {
    if (state.kind !== 'idle' && state.kind !== 'error') return;
    this.deps.portal?.close().catch((error: unknown) => {
      console.warn(
        'mkvcast: closing the Wayland screen cast:',
        error instanceof Error ? error.message : error,
      );
    });
  };

  constructor(deps: ControllerDeps) {
    super();
    this.deps = deps;
    const { session } = deps;
    session.on('state', this.forward.state);
    session.on('viewers', this.forward.viewers);
    session.on('stats', this.forward.stats);
    session.on('paused', this.forward.paused);
    session.on('notice', this.forward.notice);
    session.on('state', this.closePortal);
  }

  /** None on Wayland: the desktop's dialog asks which screen or window when sharing starts. */
  listScreens(): Promise<ScreenInfo[]> {
    if (this.deps.portal) return Promise.resolve([]);
    return this.deps.listScreens();
  }

  captureWay(): CaptureWay {
    return this.deps.portal ? 'portal' : 'screens';
  }

  /** Wayland: the next Start sharing asks the desktop's dialog again, as `mkvcast share --choose-again`. */
  async chooseAgain(): Promise<void> {
    if (!this.deps.portal) throw new Error("Only a Wayland desktop's dialog remembers what was chosen.");
    await this.deps.portal.forget();
  }

  getSettings(): Settings {
    return this.deps.session.settings;
  }

  /** Checks and stores new settings; a running session takes them at once. The token is not changed here. */
  async saveSettings(input: unknown): Promise<SaveSettingsResult> {
    const current = this.deps.session.settings;
    const { settings, errors } = validateSettings(input, current);
    if (errors.length > 0) return { ok: false, errors };
    if (!this.mayRunFfmpeg(settings.ffmpegPath, current.ffmpegPath)) {
      return { ok: false, errors: [{ field: 'ffmpegPath', message: UNCHECKED_FFMPEG_PATH }] };
    }
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

  /**
   * An ffmpegPath the window sends may be kept: empty (find one), the one already in use (it came from
   * the settings file main writes), or one main's dialog picked and checked. A string typed into the
   * page, or injected by a script, is never run.
   */
  private mayRunFfmpeg(path: string, current: string): boolean {
    return path === '' || path === current || this.checkedFfmpegPaths.has(path);
  }

  /**
   * Lets the person pick the recording's file in main's save dialog (never a path from the window):
   * checked by recordFileFromDialog, kept for the next start. Answers the file's name, or null.
   */
  async chooseRecordFile(): Promise<string | null> {
    if (!this.deps.pickRecordFile) throw new Error('This app has no file dialog to choose a recording with.');
    const picked = await this.deps.pickRecordFile();
    if (picked === null) return null;
    const file = recordFileFromDialog(picked);
    this.deps.session.setRecordFile(file);
    return basename(file);
  }

  clearRecordFile(): void {
    this.deps.session.setRecordFile(null);
  }

  /** Adds a push from the URL typed in the window (sent once); the window gets back only redacted entries. */
  addPush(url: string): Promise<AddPushResult> {
    if (!this.deps.pushes) throw new Error('This app keeps no pushes.');
    return this.deps.pushes.add(url);
  }

  removePush(id: string): Promise<PushEntry[]> {
    if (!this.deps.pushes) throw new Error('This app keeps no pushes.');
    return this.deps.pushes.remove(id);
  }

  /** Lets the person pick ffmpeg in a file dialog, checks it, and remembers it as one that may be saved. */
  async chooseFfmpeg(): Promise<ChooseFfmpegResult> {
    if (!this.deps.pickFfmpegFile) throw new Error('This app has no file dialog to choose ffmpeg with.');
    const path = await this.deps.pickFfmpegFile();
    if (path === null) return { outcome: 'cancelled' };
    try {
      await (this.deps.verifyFfmpeg ?? verifyFfmpegPath)(path);
    } catch (error) {
      if (!(error instanceof FfmpegPathError)) throw error;
      return {
        outcome: 'refused',
        error: { code: error.code, message: error.message, fix: error.fix, field: 'ffmpegPath' },
      };
    }
    this.checkedFfmpegPaths.add(path);
    return { outcome: 'chosen', path };
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

  listWindows(): Promise<WindowChoice[]> {
    if (this.deps.portal) return Promise.resolve([]);
    return this.deps.listWindows?.() ?? Promise.resolve([]);
  }

  /**
   * Pauses or resumes (the session refuses where it cannot make the card, with its code and fix).
   * Pausing while not sharing is allowed: a share started later begins with the card.
   */
  setPaused(paused: boolean): boolean {
    this.deps.session.setPaused(paused);
    return this.deps.session.paused;
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

  /** The sound devices for the window's picker; the window sends nothing but picks one of them (Settings.audio). */
  listAudioDevices(): Promise<AudioDeviceList> {
    return this.deps.session.audioDevices();
  }

  getState(): SessionSnapshot {
    const { session } = this.deps;
    return {
      state: session.state,
      links: session.links,
      viewers: session.viewers(),
      stats: session.stats(),
      paused: session.paused,
      ...(this.deps.pushes ? { pushes: this.deps.pushes.list() } : {}),
    };
  }

  /** Stops listening to the session (the session itself is the caller's). */
  close(): void {
    const { session } = this.deps;
    session.off('state', this.forward.state);
    session.off('viewers', this.forward.viewers);
    session.off('stats', this.forward.stats);
    session.off('paused', this.forward.paused);
    session.off('notice', this.forward.notice);
    session.off('state', this.closePortal);
  }
}

/** A save dialog's answer as the recording's file: an absolute path, `.mkv` added when it has no extension. */
export function recordFileFromDialog(path: string): string {
  if (!isAbsolute(path) || path.includes('\0')) {
    throw new Error(`The recording's file is not an absolute path: ${JSON.stringify(path)}.`);
  }
  return extname(path) === '' ? `${path}.mkv` : path;
}
