import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  FieldError,
  ScreenInfo,
  SessionState,
  SessionStats,
  Settings,
  ShareLinkInfo,
  UserError,
  ViewerInfo,
} from '../api.js';
import { captureArgs, type CapturePlatform } from '../ffmpeg/capture.js';
import { FfmpegChild, type FfmpegExit } from '../ffmpeg/child.js';
import { FfmpegError, ffmpegGone } from '../ffmpeg/errors.js';
import { isExecutable } from '../ffmpeg/locate.js';
import type { FfmpegCapabilities } from '../ffmpeg/probe.js';
import { ProgressParser, type FfmpegProgress } from '../ffmpeg/progress.js';
import { RestartPolicy } from '../ffmpeg/restarts.js';
import { selectCaptureFfmpeg, workingEncoders } from '../ffmpeg/select.js';
import { HttpError } from '../http/errors.js';
import { shareableLinks } from '../http/links.js';
import { StreamServer } from '../http/server.js';
import { MatroskaReader } from '../matroska/reader.js';
import { displayGone, listX11Screens, ScreenError, x11Problem } from '../screens.js';
import { validateSettings } from '../settings.js';
import { Publisher } from '../stream/publisher.js';
import { Timeline } from '../stream/timeline.js';
import { DEFAULT_VIEWER_POLICY } from '../stream/viewer.js';

export interface SessionDeps {
  platform: CapturePlatform;
  /** X display on Linux (default $DISPLAY); avfoundation screen index on macOS. */
  display: string;
  env: NodeJS.ProcessEnv;
  /** The screens right now (the app passes Electron's; the CLI lists X11 monitors). */
  listScreens: () => Promise<ScreenInfo[]>;
  now: () => number;
  /** Waits before restarts after the 1st, 2nd, … failure in a row. */
  backoffMs: readonly number[];
  /** Encoder runs in a row that fail before serving a picture, before the session gives up. */
  maxFailures: number;
  /** No output from the encoder for this long: it is hung, and is restarted. */
  watchdogMs: number;
  /** How often the shared screen's geometry is checked while live. */
  screenPollMs: number;
  /** Time allowed from starting ffmpeg to its first frame. */
  firstFrameTimeoutMs: number;
}

function defaultDeps(given: Partial<SessionDeps>): SessionDeps {
  const env = given.env ?? process.env;
  const platform =
    given.platform ??
    ((['linux', 'win32', 'darwin'].includes(process.platform)
      ? process.platform
      : 'linux') as CapturePlatform);
  // The screens listed are those of the display captured, whichever way it was given.
  const display =
    given.display ?? (platform === 'linux' ? (env.DISPLAY ?? '') : platform === 'darwin' ? '1' : '');
  return {
    platform,
    display,
    env,
    listScreens: () => {
      if (platform !== 'linux')
        return Promise.reject(new ScreenError('DISPLAY_UNREACHABLE', 'No screen list here.', ''));
      const problem = x11Problem(env, display);
      return problem ? Promise.reject(problem) : listX11Screens(display);
    },
    now: () => performance.now(),
    backoffMs: [250, 500, 1000, 2000, 4000],
    maxFailures: 5,
    watchdogMs: 5000,
    screenPollMs: 2000,
    firstFrameTimeoutMs: 15_000,
  };
}

/** Errors that reach the UI: what happened, what to do, and the setting to fix when one is to blame. */
export function toUserError(error: unknown): UserError {
  if (error instanceof HttpError) {
    const field = error.code === 'ADDRESS_UNAVAILABLE' ? 'host' : 'port';
    return { code: error.code, message: error.message, fix: error.fix, field };
  }
  if (error instanceof FfmpegError)
    return { code: error.code, message: error.message, fix: error.fix, field: 'ffmpegPath' };
  if (error instanceof ScreenError) {
    return {
      code: error.code,
      message: error.message,
      fix: error.fix,
      ...(error.code === 'SCREEN_NOT_FOUND' ? { field: 'screenId' } : {}),
    };
  }
  if (error instanceof SessionError)
    return { code: error.code, message: error.message, fix: error.fix, field: error.field };
  const e = error as { code?: unknown; message?: unknown };
  return {
    code: typeof e.code === 'string' ? e.code : 'INTERNAL',
    message: typeof e.message === 'string' ? e.message : String(error),
    fix: 'Try again; if it keeps happening, restart mkvcast.',
  };
}

export class SessionError extends Error {
  override readonly name = 'SessionError';
  constructor(
    readonly code: 'INVALID_SETTINGS' | 'ENCODER_FAILED' | 'ENCODER_UNAVAILABLE' | 'NOT_RUNNING',
    message: string,
    readonly fix: string,
    readonly field?: keyof Settings,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message);
  }
}

const SPLICE_SETTINGS: readonly (keyof Settings)[] = ['port', 'host', 'maxViewers', 'token'];

/** How long a stopping session lets its viewers write out what they have queued before cutting them. */
const VIEWER_END_GRACE_MS = 1000;

/** What one run of the encoder did, from its start to its exit. */
interface EncoderRun {
  /** Clusters it published. */
  clusters: number;
  exit: FfmpegExit | null;
  /** It could not be started at all. */
  spawnError: unknown;
  /** Its output was not a Matroska stream we could read. */
  streamError: unknown;
  /** The watchdog killed it: no output for `watchdogMs`. */
  hung: boolean;
  /** Its last error lines (not progress) on stderr. */
  errorLines: string[];
}

function sameGeometry(a: ScreenInfo, b: ScreenInfo): boolean {
  return a.width === b.width && a.height === b.height && a.x === b.x && a.y === b.y;
}

/** Ends every viewer's stream cleanly (the rest of its queue, then the end of the body), waiting up to `graceMs`. */
async function endViewers(publisher: Publisher, graceMs: number): Promise<void> {
  publisher.end();
  if (publisher.viewerCount === 0) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      publisher.off('viewer-closed', onClosed);
      resolve();
    };
    const onClosed = (): void => {
      if (publisher.viewerCount === 0) done();
    };
    const timer = setTimeout(done, graceMs);
    publisher.on('viewer-closed', onClosed);
  });
}

/**
 * One screen-sharing session: picks ffmpeg and the screen, runs the HTTP server, captures and encodes
 * the screen, supervises the encoder (restart with backoff, splice the new stream into the running
 * one), and reports state, viewers and stats. The desktop app and `mkvcast share` both drive this.
 *
 * Events: 'state' (SessionState), 'viewers' (ViewerInfo[]), 'stats' (SessionStats).
 */
export class SharingSession extends EventEmitter {
  private settingsValue: Settings;
  private readonly deps: SessionDeps;
  private current: SessionState = { kind: 'idle' };
  private publisher: Publisher | null = null;
  private server: StreamServer | null = null;
  private child: FfmpegChild | null = null;
  private ffmpeg: FfmpegCapabilities | null = null;
  private screen: ScreenInfo | null = null;
  private loop: Promise<void> | null = null;
  private stopRequested = false;
  private restartRequested: string | null = null;
  private progress: FfmpegProgress | null = null;
  private restarts = 0;
  private liveSinceMs = 0;
  private tickTimer: NodeJS.Timeout | null = null;
  private screenTimer: NodeJS.Timeout | null = null;
  /** Aborted on stop, to cut short a wait between restarts. */
  private wake = new AbortController();

  constructor(settings: Settings, deps: Partial<SessionDeps> = {}) {
    super();
    this.settingsValue = { ...settings };
    this.deps = { ...defaultDeps(deps), ...deps };
  }

  get state(): SessionState {
    return this.current;
  }

  get settings(): Settings {
    return { ...this.settingsValue };
  }

  /** The screen being shared (with the geometry in use), or null. */
  get sharedScreen(): ScreenInfo | null {
    return this.screen;
  }

  /** The HTTP port actually listened on (0 while not running). */
  get port(): number {
    return this.server?.port ?? 0;
  }

  /** PID of the running ffmpeg, for tests and diagnostics. */
  get ffmpegPid(): number | null {
    return this.child?.running ? (this.child.process.pid ?? null) : null;
  }

  /** The links to send: one per address, LAN-looking first, with the token. */
  get links(): ShareLinkInfo[] {
    if (!this.server) return [];
    return shareableLinks(this.settingsValue.host, this.server.port, this.server.streamPath).map(
      ({ url, interfaceName, family }) => ({ url, interfaceName, family }),
    );
  }

  viewers(): ViewerInfo[] {
    return this.publisher?.viewerInfos() ?? [];
  }

  stats(): SessionStats {
    const rates = this.publisher?.rates();
    return {
      captureFps: this.progress?.fps ?? 0,
      speed: this.progress?.speed ?? 0,
      bitrateKbps: rates?.bitrateKbps ?? 0,
      droppedFrames: this.progress?.droppedFrames ?? 0,
      duplicatedFrames: this.progress?.duplicatedFrames ?? 0,
      segmentsHeld: this.publisher?.segments().held ?? 0,
      uptimeSec:
        this.current.kind === 'live' || this.current.kind === 'restarting'
          ? Math.round((this.deps.now() - this.liveSinceMs) / 1000)
          : 0,
      restarts: this.restarts,
    };
  }

  kick(viewerId: string): boolean {
    return this.publisher?.kick(viewerId) ?? false;
  }

  private setState(state: SessionState): void {
    this.current = state;
    this.emit('state', state);
  }

  /**
   * Starts sharing. Resolves once the first frame is being served; rejects with a SessionError (or the
   * underlying error) after setting the state to `error` with the message and the fix.
   */
  async start(): Promise<void> {
    if (this.current.kind !== 'idle' && this.current.kind !== 'error') {
      throw new SessionError('NOT_RUNNING', 'Sharing is already running.', 'Stop it first.');
    }
    this.stopRequested = false;
    this.wake = new AbortController();
    this.restarts = 0;
    this.setState({ kind: 'starting' });
    try {
      const { settings, errors } = validateSettings(this.settingsValue);
      if (errors.length > 0) {
        throw new SessionError(
          'INVALID_SETTINGS',
          errors[0].message,
          'Correct the setting and start again.',
          errors[0].field,
          errors,
        );
      }
      this.ffmpeg = await selectCaptureFfmpeg(this.deps.platform, settings.ffmpegPath, this.deps.env);
      const encoder = settings.encoder || 'libx264';
      if (settings.encoder && !(await workingEncoders(this.ffmpeg)).includes(settings.encoder)) {
        throw new SessionError(
          'ENCODER_UNAVAILABLE',
          `The encoder ${settings.encoder} does not work with this ffmpeg on this machine.`,
          'Leave the encoder empty to use libx264.',
          'encoder',
        );
      }
      this.screen = await this.findScreen();
      this.publisher = new Publisher({ policy: DEFAULT_VIEWER_POLICY, now: this.deps.now });
      this.publisher.on('viewers', (list: ViewerInfo[]) => this.emit('viewers', list));
      this.server = new StreamServer({
        host: settings.host,
        port: settings.port,
        maxViewers: settings.maxViewers,
        token: settings.token,
        publisher: this.publisher,
        source: () => ({
          state: this.current.kind === 'live' ? 'live' : this.current.kind === 'error' ? 'error' : 'waiting',
          input: `screen ${this.screen?.id ?? ''} ${this.deps.display}`.trim(),
        }),
      });
      await this.server.listen();
      let cleanup = (): void => {};
      const firstFrame = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new SessionError(
                'ENCODER_FAILED',
                'ffmpeg started but sent no picture.',
                'Check the screen and try again.',
              ),
            ),
          this.deps.firstFrameTimeoutMs,
        );
        const onFrame = (): void => resolve();
        const onFailed = (error: unknown): void => reject(error);
        this.once('first-frame', onFrame);
        this.once('run-failed', onFailed);
        cleanup = () => {
          clearTimeout(timer);
          this.off('first-frame', onFrame);
          this.off('run-failed', onFailed);
        };
      });
      this.loop = this.runLoop(encoder);
      await firstFrame.finally(cleanup);
      this.liveSinceMs = this.deps.now();
      this.setState({ kind: 'live', since: new Date().toISOString() });
      this.startTimers();
    } catch (error) {
      await this.teardown();
      this.setState({ kind: 'error', error: toUserError(error) });
      throw error;
    }
  }

  private async findScreen(): Promise<ScreenInfo> {
    const screens = await this.deps.listScreens();
    const wanted = this.settingsValue.screenId;
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

  /**
   * Runs ffmpeg again and again until stopped; splices each new run into the stream viewers get. After
   * an unexpected exit it looks at the screen first: a new size is a planned restart, a display that is
   * gone ends sharing; anything else is a failure, restarted as the RestartPolicy says.
   */
  private async runLoop(encoder: string): Promise<void> {
    const timeline = new Timeline();
    const policy = new RestartPolicy(this.deps);
    const ffmpegPath = (this.ffmpeg as FfmpegCapabilities).path;
    let everLive = false;
    while (!this.stopRequested) {
      if (everLive && !isExecutable(ffmpegPath)) return this.fail(ffmpegGone(ffmpegPath));
      const run = await this.runEncoder(ffmpegPath, encoder, timeline, () => {
        if (!everLive) {
          everLive = true;
          this.emit('first-frame');
        } else if (this.current.kind === 'restarting') {
          this.setState({ kind: 'live', since: new Date().toISOString() });
        }
      });
      if (this.stopRequested) break;
      const planned = this.restartRequested;
      this.restartRequested = null;
      if (planned) {
        this.setState({ kind: 'restarting', reason: planned, attempt: 0 });
        continue;
      }
      if (run.spawnError) {
        const error = isExecutable(ffmpegPath) ? run.spawnError : ffmpegGone(ffmpegPath, run.spawnError);
        if (everLive) return this.fail(error);
        this.emit('run-failed', error);
        return;
      }
      const reason = this.whyStopped(run);
      if (!everLive) {
        this.emit(
          'run-failed',
          new SessionError(
            'ENCODER_FAILED',
            `Screen capture failed: ${reason}.`,
            'Check the screen and the ffmpeg settings, then try again.',
          ),
        );
        return;
      }
      // x11grab stops when the screen shrinks under it, and fails when the display is gone.
      let screen: ScreenInfo;
      try {
        screen = await this.currentScreen();
      } catch (error) {
        return this.fail(error);
      }
      if (this.stopRequested) break;
      if (!sameGeometry(screen, this.screen as ScreenInfo)) {
        this.screen = screen;
        this.setState({ kind: 'restarting', reason: this.screenChanged(screen), attempt: 0 });
        continue;
      }
      const decision = policy.onFailure(run.clusters > 0);
      if (decision.giveUp) {
        return this.fail(
          new SessionError(
            'ENCODER_FAILED',
            `Screen capture keeps failing: ${reason}.`,
            'Check the screen and the ffmpeg settings, then start again.',
          ),
        );
      }
      this.restarts += 1;
      this.setState({ kind: 'restarting', reason, attempt: decision.attempt });
      await sleep(decision.delayMs, undefined, { signal: this.wake.signal }).catch(() => {});
      if (this.stopRequested) break;
      try {
        // The screen may have changed during the wait: capture what is there now.
        this.screen = await this.currentScreen();
      } catch (error) {
        return this.fail(error);
      }
    }
  }

  /** One run of ffmpeg, from spawn to exit; its clusters go out through the timeline as they come. */
  private async runEncoder(
    ffmpegPath: string,
    encoder: string,
    timeline: Timeline,
    onPicture: () => void,
  ): Promise<EncoderRun> {
    const args = captureArgs(
      this.settingsValue,
      { platform: this.deps.platform, screen: this.screen as ScreenInfo, display: this.deps.display },
      encoder,
    );
    const child = new FfmpegChild(ffmpegPath, args, { stdin: 'commands' });
    this.child = child;
    const parser = new ProgressParser();
    const run: EncoderRun = {
      clusters: 0,
      exit: null,
      spawnError: null,
      streamError: null,
      hung: false,
      errorLines: [],
    };
    child.process.stderr.on('data', (text: string) => {
      const { progress, lines } = parser.push(text);
      if (progress.length > 0) this.progress = progress[progress.length - 1];
      run.errorLines.push(...lines);
      if (run.errorLines.length > 20) run.errorLines.splice(0, run.errorLines.length - 20);
    });
    let watchdog: NodeJS.Timeout | null = null;
    const feedWatchdog = (): void => {
      if (watchdog) clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        run.hung = true;
        child.process.kill('SIGKILL'); // a stopped (SIGSTOP) process dies of SIGKILL too
      }, this.deps.watchdogMs);
    };
    feedWatchdog();
    const reader = new MatroskaReader();
    try {
      for await (const chunk of child.stdout) {
        feedWatchdog();
        for (const event of reader.push(chunk as Buffer)) {
          const publisher = this.publisher;
          if (!publisher) break; // torn down under us
          if (event.kind === 'header') {
            publisher.setHeader(event.header, timeline.onHeader(event.header));
            continue;
          }
          publisher.publish(timeline.place(event.cluster, this.deps.now()));
          run.clusters += 1;
          if (run.clusters === 1) onPicture();
        }
      }
    } catch (error) {
      run.streamError = error; // a broken stream from ffmpeg: restart it like a crash
      child.process.kill('SIGKILL');
    } finally {
      if (watchdog) clearTimeout(watchdog);
    }
    run.exit = await child.exited.catch((error: unknown) => {
      run.spawnError = error;
      return null;
    });
    this.child = null;
    return run;
  }

  /** Why a run stopped, in words for the 'restarting' state. */
  private whyStopped(run: EncoderRun): string {
    if (run.hung)
      return `the encoder sent nothing for ${this.deps.watchdogMs / 1000} s (hung), so it was stopped`;
    if (run.streamError) return `the encoder's stream broke (${(run.streamError as Error).message})`;
    // ffmpeg's own error lines (not its progress blocks) say why it stopped.
    const said = run.errorLines.slice(-3).join(' / ');
    const how = run.exit?.signal ? `signal ${run.exit.signal}` : `exit code ${run.exit?.code}`;
    return `ffmpeg stopped (${how})${said ? `: ${said}` : ''}`;
  }

  private screenChanged(screen: ScreenInfo): string {
    return `the screen changed to ${screen.width}×${screen.height}`;
  }

  /**
   * The shared screen as it is now. Throws SCREEN_NOT_FOUND when it is gone, DISPLAY_GONE when the
   * X display cannot be reached any more.
   */
  private async currentScreen(): Promise<ScreenInfo> {
    const id = (this.screen as ScreenInfo).id;
    let screens: ScreenInfo[];
    try {
      screens = await this.deps.listScreens();
    } catch (error) {
      const unreachable = error instanceof ScreenError && error.code === 'DISPLAY_UNREACHABLE';
      throw unreachable && this.deps.platform === 'linux' ? displayGone(this.deps.display, error) : error;
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

  /** Restarts ffmpeg on purpose (new settings, new screen geometry); viewers stay when the tracks match. */
  private requestRestart(reason: string): void {
    if (!this.child) return;
    this.restartRequested = reason;
    void this.child.stop(500);
  }

  private startTimers(): void {
    this.tickTimer = setInterval(() => {
      this.emit('stats', this.stats());
      if (this.publisher && this.publisher.viewerCount > 0)
        this.emit('viewers', this.publisher.viewerInfos());
    }, 1000);
    this.tickTimer.unref();
    this.screenTimer = setInterval(() => void this.checkScreen(), this.deps.screenPollMs);
    this.screenTimer.unref();
  }

  /** Notices a resolution change or an unplugged screen while live. */
  async checkScreen(): Promise<void> {
    if (!this.screen || this.current.kind !== 'live') return;
    let now: ScreenInfo;
    try {
      now = await this.currentScreen();
    } catch (error) {
      // A display that is gone makes ffmpeg fail, and the restart path reports it.
      if (error instanceof ScreenError && error.code === 'DISPLAY_GONE') return;
      return this.fail(error);
    }
    if (this.screen && !sameGeometry(now, this.screen)) {
      this.screen = now;
      this.requestRestart(this.screenChanged(now));
    }
  }

  /**
   * New settings. Returns the field errors (nothing changes then). While sharing, capture settings
   * restart the encoder (viewers stay when the picture size is unchanged); server settings (port, host,
   * max viewers, token) restart the whole session.
   */
  async updateSettings(next: Settings): Promise<FieldError[]> {
    const { settings, errors } = validateSettings(next);
    if (errors.length > 0) return errors;
    const before = this.settingsValue;
    this.settingsValue = settings;
    const running = this.current.kind === 'live' || this.current.kind === 'restarting';
    if (!running) return [];
    const changed = (Object.keys(settings) as (keyof Settings)[]).filter((k) => settings[k] !== before[k]);
    if (changed.length === 0) return [];
    if (changed.some((k) => SPLICE_SETTINGS.includes(k) || k === 'ffmpegPath' || k === 'encoder')) {
      await this.stop();
      await this.start();
    } else {
      if (changed.includes('screenId')) this.screen = await this.findScreen();
      this.requestRestart(`settings changed (${changed.join(', ')})`);
    }
    return [];
  }

  private async fail(error: unknown): Promise<void> {
    this.stopRequested = true;
    this.wake.abort();
    const child = this.child;
    if (child) await child.stop(500);
    await this.teardown();
    this.setState({ kind: 'error', error: toUserError(error) });
  }

  /** Stops sharing: ffmpeg gone, viewers dropped, port free. Idempotent. */
  async stop(): Promise<void> {
    if (this.current.kind === 'idle') return;
    const wasError = this.current.kind === 'error';
    this.stopRequested = true;
    this.wake.abort();
    if (!wasError) this.setState({ kind: 'stopping' });
    const child = this.child;
    if (child) await child.stop(1000);
    if (this.loop) await this.loop.catch(() => {});
    await this.teardown();
    this.setState({ kind: 'idle' });
  }

  private async teardown(): Promise<void> {
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.screenTimer) clearInterval(this.screenTimer);
    this.tickTimer = this.screenTimer = null;
    this.stopRequested = true;
    this.wake.abort();
    const child = this.child;
    if (child) await child.stop(500);
    // Players see the end of the stream rather than a broken connection.
    if (this.publisher) await endViewers(this.publisher, VIEWER_END_GRACE_MS);
    const server = this.server;
    this.server = null;
    if (server) await server.close();
    this.publisher?.removeAllListeners();
    this.publisher = null;
    this.progress = null;
    this.emit('viewers', []);
  }
}
