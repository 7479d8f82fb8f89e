import { EventEmitter } from 'node:events';
import { parsePortRange } from '../webrtc/ports.js';
import { WhepEndpoint } from '../webrtc/whep.js';
import type {
  AudioDeviceList,
  FieldError,
  ScreenInfo,
  SessionState,
  SessionStats,
  Settings,
  ShareLinkInfo,
  ViewerInfo,
} from '../api.js';
import { resolveAudio } from '../audio/devices.js';
import { selectCaptureFfmpeg, workingEncoders } from '../ffmpeg/select.js';
import { shareableLinks } from '../http/links.js';
import { StreamServer } from '../http/server.js';
import { validateSettings } from '../settings.js';
import { endViewers } from '../stream/end-viewers.js';
import { Publisher } from '../stream/publisher.js';
import { DEFAULT_VIEWER_POLICY } from '../stream/viewer.js';
import { checkOutputOptions, Outputs } from '../output/outputs.js';
import { AudioWatch } from './audio-watch.js';
import { CaptureLoop, type CaptureEnd } from './capture-loop.js';
import { defaultDeps, type SessionDeps } from './deps.js';
import { type EncoderFactoryOptions, ffmpegEncoders } from './encoder.js';
import { noPicture, SessionError, toUserError } from './errors.js';
import { checkRegion, checkWindow } from './region-check.js';
import { currentScreen, pickScreen, screenChangedReason, ScreenWatch } from './screen-watch.js';

// What the app, `mkvcast share` and the tests use, from one place.
export { SessionError, toUserError } from './errors.js';
export type { SessionDeps } from './deps.js';

/** Settings the running server was built with: changing one restarts the whole session. */
const SERVER_SETTINGS: readonly (keyof Settings)[] = [
  'port',
  'host',
  'maxViewers',
  'token',
  'ffmpegPath',
  'encoder',
  // The WHEP endpoint is built with the server, on these UDP ports.
  'webrtcPorts',
];

/**
 * How long a stopping session gives ffmpeg to quit cleanly, and then its viewers to write out what they
 * have queued, before cutting each off.
 */
const SHUTDOWN_GRACE_MS = 1000;

/**
 * One screen-sharing session: picks ffmpeg and the screen, runs the HTTP server and the capture loop
 * (capture-loop.ts), watches the screen while live (screen-watch.ts), and reports state, viewers and
 * stats. It alone decides the state; the parts report to it. The desktop app and `mkvcast share` both
 * drive this.
 *
 * Events: 'state' (SessionState), 'viewers' (ViewerInfo[]), 'stats' (SessionStats), 'notice' (UserError:
 * something the user should know that does not stop sharing, e.g. the sound device went away).
 */
export class SharingSession extends EventEmitter {
  private settingsValue: Settings;
  private readonly deps: SessionDeps;
  private current: SessionState = { kind: 'idle' };
  private publisher: Publisher | null = null;
  private server: StreamServer | null = null;
  private capture: CaptureLoop | null = null;
  private outputs: Outputs | null = null;
  /** The recording's last file number so far: a session started again records into the next one. */
  private recordedFiles = 0;
  /** The app's pushes (setPushes); undefined: deps.pushes. */
  private pushUrls: readonly string[] | undefined = undefined;
  /** The app's Record choice (setRecordFile); undefined: deps.record. */
  private recordFile: string | null | undefined = undefined;
  private liveSinceMs = 0;
  private tickTimer: NodeJS.Timeout | null = null;
  private readonly watch: ScreenWatch;
  /** The sound device while sharing with sound (none for `audio: none`). */
  private audio: AudioWatch | null = null;
  /** The ffmpeg the running session uses (device lists on Windows and macOS come from it). */
  private ffmpegInUse = '';
  /** The sound's last level reading (dBFS), null before the first. */
  private audioLevelDb: number | null = null;
  /** Set once this run of the session is being shut down: every way out goes through it once. */
  private closing: Promise<void> | null = null;
  /** Called on the capture loop's first picture while start() waits for it. */
  private onFirstPicture: (() => void) | null = null;

  constructor(settings: Settings, deps: Partial<SessionDeps> = {}) {
    super();
    this.settingsValue = { ...settings };
    this.deps = defaultDeps(deps);
    this.watch = new ScreenWatch({
      pollMs: this.deps.screenPollMs,
      watched: () => (this.current.kind === 'live' ? (this.capture?.screen ?? null) : null),
      lookUp: (id) => currentScreen(this.deps, id),
      onChanged: (screen) => this.capture?.restart(screenChangedReason(screen), screen),
      onGone: (error) => void this.fail(error),
    });
  }

  get state(): SessionState {
    return this.current;
  }

  get settings(): Settings {
    return { ...this.settingsValue };
  }

  private pausedValue = false;

  /** True while sharing is paused: viewers see a still "Paused" card, and nothing of the screen. */
  get paused(): boolean {
    return this.pausedValue;
  }

  /** Pauses or resumes sharing; viewers stay connected. Emits 'paused' with the new value. */
  setPaused(paused: boolean): void {
    if (paused === this.pausedValue) return;
    this.pausedValue = paused;
    if (paused) this.capture?.cutForPause();
    else this.capture?.restart('resumed');
    this.emit('paused', paused);
  }

  /** The screen being shared (with the geometry in use), or null. */
  get sharedScreen(): ScreenInfo | null {
    return this.capture?.screen ?? null;
  }

  /** The HTTP port actually listened on (0 while not running). */
  get port(): number {
    return this.server?.port ?? 0;
  }

  /** PID of the running ffmpeg, for tests and diagnostics. */
  get ffmpegPid(): number | null {
    return this.capture?.encoderPid ?? null;
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
    const progress = this.capture?.progress;
    return {
      captureFps: progress?.fps ?? 0,
      speed: progress?.speed ?? 0,
      bitrateKbps: rates?.bitrateKbps ?? 0,
      droppedFrames: progress?.droppedFrames ?? 0,
      duplicatedFrames: progress?.duplicatedFrames ?? 0,
      segmentsHeld: this.publisher?.segments().held ?? 0,
      uptimeSec:
        this.current.kind === 'live' || this.current.kind === 'restarting'
          ? Math.round((this.deps.now() - this.liveSinceMs) / 1000)
          : 0,
      restarts: this.capture?.restarts ?? 0,
      ...(this.outputs ? { outputs: this.outputs.status() } : {}),
      ...(this.audio
        ? {
            audio: {
              device: this.audio.state.device.name,
              levelDb: this.audioLevelDb,
              silenced: this.audio.state.silenced,
              ...this.audioTrack(),
            },
          }
        : {}),
    };
  }

  /** The stream's audio track (codec, rate, channels) for stats().audio, once the header is out. */
  private audioTrack(): { track?: { codec: string; sampleRate?: number; channels?: number } } {
    const track = this.publisher?.header?.tracks.find((t) => t.kind === 'audio');
    if (!track) return {};
    return { track: { codec: track.codec, sampleRate: track.sampleRate, channels: track.channels } };
  }

  /**
   * The sound devices of this machine, for a device picker: what `system` and `mic` mean here, and
   * notes (no loopback device on Windows or macOS). Rejects with an AudioError when the sound server
   * does not answer.
   */
  async audioDevices(): Promise<AudioDeviceList> {
    const ffmpeg = await selectCaptureFfmpeg(
      this.deps.platform,
      this.settingsValue.ffmpegPath,
      this.deps.env,
    );
    return this.deps.listAudioDevices(ffmpeg.path);
  }

  kick(viewerId: string): boolean {
    return this.publisher?.kick(viewerId) ?? false;
  }

  /** The file the next start records to (the app's Record choice); null: none. A live share goes on as it is. */
  setRecordFile(file: string | null): void {
    if (this.recordFile !== file) this.recordedFiles = 0;
    this.recordFile = file;
  }

  /**
   * The app's pushes: the next start pushes to these, and a live share starts and stops pushes to match
   * at once (the others go on). Throws OutputError PUSH_URL_INVALID for a bad URL, nothing changed.
   */
  async setPushes(urls: readonly string[]): Promise<void> {
    checkOutputOptions({ pushes: urls });
    this.pushUrls = [...urls];
    await this.outputs?.setPushes(this.pushUrls);
  }

  private setState(state: SessionState): void {
    this.current = state;
    this.emit('state', state);
  }

  /**
   * Starts sharing. Resolves once the first frame is being served (or when stop() came first); rejects
   * with a SessionError (or the underlying error) after setting the state to `error` with the message
   * and the fix.
   */
  async start(): Promise<void> {
    if (this.current.kind !== 'idle' && this.current.kind !== 'error') {
      throw new SessionError('NOT_RUNNING', 'Sharing is already running.', 'Stop it first.');
    }
    this.closing = null;
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
      // Encoders of the deps (the Wayland portal) feed ffmpeg raw frames: it needs no capture device.
      const ffmpegInput = this.deps.encoders ? 'rawvideo' : 'device';
      const ffmpeg = await selectCaptureFfmpeg(
        this.deps.platform,
        settings.ffmpegPath,
        this.deps.env,
        ffmpegInput,
      );
      if (settings.encoder && !(await workingEncoders(ffmpeg)).includes(settings.encoder)) {
        throw new SessionError(
          'ENCODER_UNAVAILABLE',
          `The encoder ${settings.encoder} does not work with this ffmpeg on this machine.`,
          'Leave the encoder empty to use libx264.',
          'encoder',
        );
      }
      const screen = pickScreen(await this.deps.listScreens(), settings.screenId);
      if (this.deps.encoders && (settings.window || settings.region)) {
        throw new SessionError(
          'INVALID_SETTINGS',
          'A window or a region cannot be shared through the Wayland portal here; its dialog picks what is shared.',
          'Leave out --window and --region (use --source window to pick a window in the dialog).',
          settings.window ? 'window' : 'region',
        );
      }
      checkWindow(settings.window, settings.region, this.deps.platform);
      checkRegion(settings.region, screen, this.deps.platform);
      this.ffmpegInUse = ffmpeg.path;
      this.audio = await this.audioFor(settings.audio, ffmpeg.path);
      const publisher = new Publisher({ policy: DEFAULT_VIEWER_POLICY, now: this.deps.now });
      this.publisher = publisher;
      publisher.on('viewers', (list: ViewerInfo[]) => this.emit('viewers', list));
      this.server = new StreamServer({
        host: settings.host,
        port: settings.port,
        maxViewers: settings.maxViewers,
        maxViewersPerAddress: this.deps.maxViewersPerAddress,
        cors: this.deps.cors,
        token: settings.token,
        publisher,
        outputs: {
          status: () =>
            this.outputs?.status() ?? {
              upload: { copies: publisher.viewerCount, mbitPerSec: 0, maxMbitPerSec: null },
              pushes: [],
              recording: null,
            },
          refusal: () => this.outputs?.refusal() ?? null,
        },
        whep: new WhepEndpoint(publisher, { portRange: parsePortRange(settings.webrtcPorts) }),
        source: () => ({
          state: this.current.kind === 'live' ? 'live' : this.current.kind === 'error' ? 'error' : 'waiting',
          input: `screen ${this.capture?.screen.id ?? ''} ${this.deps.display}`.trim(),
        }),
      });
      await this.server.listen();
      if (this.closing) {
        // stop() came while this was starting: what was built since then is closed here.
        await this.closeEverything();
        return;
      }
      this.outputs = new Outputs(publisher, {
        record: this.recordFile === undefined ? this.deps.record : this.recordFile,
        recordFirstNumber: this.recordedFiles + 1,
        pushes: this.pushUrls ?? this.deps.pushes,
        maxUploadMbit: settings.maxUploadMbit ?? this.deps.maxUploadMbit,
        pushBackoffMs: this.deps.pushBackoffMs,
        ffmpeg: () => ffmpeg.path,
        onNotice: this.deps.onOutputNotice,
      });
      // The same options for either capture: each makes the Paused card and takes the sound itself.
      const encoderOptions: EncoderFactoryOptions = {
        ffmpegPath: ffmpeg.path,
        encoder: settings.encoder || 'libx264',
        settings: () => this.settingsValue,
        paused: () => this.pausedValue,
        audio: () => this.audio?.source() ?? null,
        onAudioLevel: (db) => {
          this.audioLevelDb = db;
        },
      };
      this.capture = new CaptureLoop({
        encoders:
          this.deps.encoders?.(encoderOptions) ??
          ffmpegEncoders({ ...encoderOptions, platform: this.deps.platform, display: this.deps.display }),
        publisher,
        screen,
        lookUpScreen: (id) => currentScreen(this.deps, id),
        now: this.deps.now,
        backoffMs: this.deps.backoffMs,
        maxFailures: this.deps.maxFailures,
        watchdogMs: this.deps.watchdogMs,
        reports: {
          picture: (first) => {
            if (first) this.onFirstPicture?.();
            else if (this.current.kind === 'restarting')
              this.setState({ kind: 'live', since: new Date().toISOString() });
          },
          restarting: (reason, attempt) => this.setState({ kind: 'restarting', reason, attempt }),
        },
      });
      const ended = this.capture.run();
      const first = await this.firstPicture(ended);
      if (first !== 'live') {
        if (first.kind === 'stopped') return; // stop() came first and sets the state
        throw first.error;
      }
      // From now on a loop that gives up ends the session with its error.
      void ended.then((end) => {
        if (end.kind === 'failed') void this.fail(end.error);
      });
      this.liveSinceMs = this.deps.now();
      this.setState({ kind: 'live', since: new Date().toISOString() });
      this.startTimers();
    } catch (error) {
      await this.shutdown();
      this.setState({ kind: 'error', error: toUserError(error) });
      throw error;
    }
  }

  /** The first picture of the capture loop, or how it ended before one, or a timeout. */
  private firstPicture(ended: Promise<CaptureEnd>): Promise<'live' | CaptureEnd> {
    return new Promise<'live' | CaptureEnd>((resolve) => {
      const settle = (outcome: 'live' | CaptureEnd): void => {
        clearTimeout(timer);
        this.onFirstPicture = null;
        resolve(outcome);
      };
      const timer = setTimeout(
        () => settle({ kind: 'failed', error: noPicture() }),
        this.deps.firstFrameTimeoutMs,
      );
      this.onFirstPicture = () => settle('live');
      void ended.then(settle);
    });
  }

  private startTimers(): void {
    this.tickTimer = setInterval(() => {
      this.emit('stats', this.stats());
      if (this.publisher && this.publisher.viewerCount > 0)
        this.emit('viewers', this.publisher.viewerInfos());
    }, 1000);
    this.tickTimer.unref();
    this.watch.start();
    this.audio?.start();
  }

  /**
   * The sound device for `choice` (none for `none`): a device that is not there is an error on the
   * `audio` field. While sharing, the watch puts silence in its place when it goes away.
   */
  private async audioFor(choice: string, ffmpegPath: string): Promise<AudioWatch | null> {
    if (choice === 'none') return null;
    const list = () => this.deps.listAudioDevices(ffmpegPath);
    const device = resolveAudio(choice, await list());
    return new AudioWatch({
      choice,
      device,
      pollMs: this.deps.audioPollMs,
      list,
      onChange: (reason, notice) => {
        if (notice) this.emit('notice', toUserError(notice));
        this.capture?.restart(reason);
      },
    });
  }

  /** Notices a resolution change or an unplugged screen while live (the watch does this on a timer). */
  checkScreen(): Promise<void> {
    return this.watch.check();
  }

  /**
   * New settings. Returns the field errors (nothing changes then). While sharing, capture settings
   * restart the encoder (viewers stay when the picture size is unchanged); server settings (port, host,
   * max viewers, token, ffmpeg, encoder, WebRTC ports) restart the whole session.
   */
  async updateSettings(next: Settings): Promise<FieldError[]> {
    const { settings, errors } = validateSettings(next);
    if (errors.length > 0) return errors;
    const before = this.settingsValue;
    this.settingsValue = settings;
    const running = this.current.kind === 'live' || this.current.kind === 'restarting';
    if (!running) return [];
    let changed = (Object.keys(settings) as (keyof Settings)[]).filter((k) => settings[k] !== before[k]);
    if (changed.includes('maxUploadMbit')) {
      // Only the admission of new viewers changes: nothing restarts.
      this.outputs?.setMaxUpload(settings.maxUploadMbit ?? this.deps.maxUploadMbit ?? null);
      changed = changed.filter((k) => k !== 'maxUploadMbit');
    }
    if (changed.length === 0) return [];
    // Sound on or off changes the stream's tracks (viewers must join again); another device does not.
    const soundOnOff = changed.includes('audio') && (before.audio === 'none') !== (settings.audio === 'none');
    if (soundOnOff || changed.some((k) => SERVER_SETTINGS.includes(k))) {
      await this.stop();
      await this.start();
    } else {
      if (changed.includes('audio')) {
        try {
          const watch = await this.audioFor(settings.audio, this.ffmpegInUse);
          this.audio?.stop();
          this.audio = watch;
          this.audioLevelDb = null;
          watch?.start();
        } catch (error) {
          this.settingsValue = { ...settings, audio: before.audio };
          const e = toUserError(error);
          return [{ field: 'audio', message: `${e.message} ${e.fix}` }];
        }
      }
      const screen = changed.includes('screenId')
        ? pickScreen(await this.deps.listScreens(), settings.screenId)
        : undefined;
      const refused = this.refusedTarget(settings, screen ?? this.capture?.screen);
      if (refused.length > 0) {
        // The share goes on as it was; the window shows why next to the field.
        this.settingsValue = before;
        return refused;
      }
      this.capture?.restart(`settings changed (${changed.join(', ')})`, screen);
    }
    return [];
  }

  /**
   * A window or region changed while sharing, checked as start() checks it: a region outside the screen
   * would otherwise fail in ffmpeg run after run until the restart policy gives up.
   */
  private refusedTarget(settings: Settings, screen: ScreenInfo | undefined): FieldError[] {
    if (this.deps.encoders && (settings.window || settings.region)) {
      const field = settings.window ? 'window' : 'region';
      return [{ field, message: 'A window or a region cannot be shared through the Wayland portal here.' }];
    }
    try {
      checkWindow(settings.window, settings.region, this.deps.platform);
      if (screen) checkRegion(settings.region, screen, this.deps.platform);
      return [];
    } catch (error) {
      if (error instanceof SessionError && error.field)
        return [{ field: error.field, message: error.message }];
      throw error;
    }
  }

  /** Ends sharing with an error the user sees (the loop gave up, the screen is gone). */
  private async fail(error: unknown): Promise<void> {
    if (this.closing) return; // already stopping: that way out wins
    await this.shutdown();
    this.setState({ kind: 'error', error: toUserError(error) });
  }

  /** Stops sharing: ffmpeg gone, viewers' streams ended, port free. Idempotent. */
  async stop(): Promise<void> {
    if (this.current.kind === 'idle') return;
    if (this.current.kind !== 'error') this.setState({ kind: 'stopping' });
    await this.shutdown();
    this.setState({ kind: 'idle' });
  }

  /** The one way out of a running session, whatever the reason; later calls wait for the first. */
  private shutdown(): Promise<void> {
    this.closing ??= this.closeEverything();
    return this.closing;
  }

  private async closeEverything(): Promise<void> {
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = null;
    this.watch.stop();
    this.audio?.stop();
    this.audio = null;
    this.audioLevelDb = null;
    this.onFirstPicture = null;
    const capture = this.capture;
    if (capture) await capture.stop(SHUTDOWN_GRACE_MS);
    // Players see the end of the stream rather than a broken connection.
    if (this.publisher) await endViewers(this.publisher, SHUTDOWN_GRACE_MS);
    // The recording's file is finished and the pushes get the end of the stream.
    const outputs = this.outputs;
    this.outputs = null;
    if (outputs) await outputs.stop();
    this.recordedFiles = outputs?.recorder?.info().files ?? this.recordedFiles;
    const server = this.server;
    this.server = null;
    if (server) await server.close();
    this.publisher?.removeAllListeners();
    this.publisher = null;
    this.capture = null;
    this.emit('viewers', []);
  }
}
