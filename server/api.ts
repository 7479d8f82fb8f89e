/**
 * The types that cross a boundary: the server's HTTP /status, the SharingSession the app and the CLI drive,
 * and the preload API. renderer/ may import types from here and nothing else from server/.
 */

export interface TrackSummary {
  number: number;
  kind: 'video' | 'audio' | 'subtitle' | 'other';
  codec: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
}

/** One connected viewer, as /status and the app's viewers table show it. */
export interface ViewerInfo {
  id: string;
  /** Remote address, e.g. `192.168.1.20` (IPv4-mapped IPv6 addresses are shown as IPv4). */
  address: string;
  /** A short client name from the User-Agent: VLC, mpv, ffmpeg, Chrome, Firefox, … or the raw product token. */
  client: string;
  userAgent: string;
  /** When the viewer connected (ISO 8601). */
  since: string;
  bytesSent: number;
  /** How long the oldest byte waiting for this viewer has waited, in ms (0 when it keeps up). */
  lagMs: number;
  /** Times this viewer fell more than the lag limit behind and was moved to the next keyframe. */
  skips: number;
  /** How the viewer receives the stream; absent: `http` (the Matroska stream). */
  transport?: 'http' | 'webrtc';
  /** WebRTC: round-trip time from the viewer's RTCP receiver reports, ms (null until measured). */
  rttMs?: number | null;
  /** WebRTC: packets lost on the way to the viewer, % of the last report interval (RTCP). */
  lossPercent?: number | null;
  /** WebRTC: times the viewer asked for a new picture (PLI). */
  pictureRequests?: number;
}

/** `stalled`: the input is open but has sent nothing for a while (viewers stay, and go on when it does). */
export type StreamState = 'waiting' | 'live' | 'stalled' | 'ended' | 'error';

/** What `GET /status` answers (JSON). */
export interface StreamStatus {
  state: StreamState;
  /** What is being served, e.g. `file demo.mkv`, `stdin`, `tcp://0.0.0.0:9000`, `screen :0`. */
  input: string;
  docType: 'matroska' | 'webm' | null;
  tracks: TrackSummary[];
  /** Input bitrate over the last few seconds, in kbit/s. */
  bitrateKbps: number;
  /** Video frames (or clusters, audio-only) per second over the last few seconds. */
  fps: number;
  segments: { held: number; bytes: number; keyframeIntervalMs: number };
  /** Time from a cluster reaching the server to its hand-over to every viewer's socket (last 512 clusters). */
  fanout: { p50Ms: number; p99Ms: number };
  uptimeSec: number;
  viewers: ViewerInfo[];
  maxViewers: number;
  /** Viewers disconnected for falling behind, and viewers refused at the cap, since start. */
  dropped: number;
  refused: number;
  /** Recording, pushes and upload (absent on a server built without them). */
  outputs?: OutputsStatus;
}

/** A screen that can be captured, in physical pixels of the desktop it belongs to. */
export interface ScreenInfo {
  /** Stable within a desktop session: the RandR monitor name on X11 (e.g. `HDMI-1`), the display id in the app. */
  id: string;
  /** For people: `HDMI-1 (1920×1080)`, `Built-in Retina Display`. */
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Physical pixels per logical (DIP) pixel: 1, 1.25, 2, … */
  scaleFactor: number;
  primary: boolean;
  /** A small picture of the screen as a `data:` URL, when the platform can give one (the app's picker). */
  thumbnail?: string;
}

/**
 * May this app record the screen? macOS asks the user (System Settings → Privacy & Security → Screen
 * Recording); other systems do not, which is `not-needed`. The other values are macOS's own.
 */
export type ScreenAccess = 'not-needed' | 'granted' | 'not-determined' | 'denied' | 'restricted' | 'unknown';

/**
 * A preset named for what is shared (see server/ffmpeg/capture.ts and docs/benchmarks.md): `text` for
 * text and slides, `balanced`, `motion` for video and games, and `text444`, the sharpest text (4:4:4
 * chroma, the H.264 High 4:4:4 profile: VLC and mpv play it, browsers do not). Settings files from before
 * held `low`, `medium` and `high`; validateSettings maps them.
 */
/** The picture size viewers get: as captured, or scaled down to 1080 or 720 lines before encoding. */
export type OutputSize = 'native' | '1080p' | '720p';

export type Quality = 'text' | 'balanced' | 'motion' | 'text444';

/** Everything a sharing session is started with. `validateSettings` in server/settings.ts checks it. */
export interface Settings {
  /** ScreenInfo.id; empty for the primary screen. */
  screenId: string;
  /** Frames per second, 1–60. */
  fps: number;
  /** Seconds between keyframes, 0.25–10: shorter means faster joins and recovery, a larger stream. */
  keyframeIntervalSec: number;
  /** A preset, or a bitrate in kbit/s (100–100 000). */
  quality: Quality | number;
  port: number;
  /** Address to listen on: 0.0.0.0 for every interface. */
  host: string;
  maxViewers: number;
  /** The viewer token in every link; null for none (anyone who can reach the port can watch). */
  token: string | null;
  /** An ffmpeg binary; empty to find one (FFMPEG_PATH, ffmpeg-static, PATH). */
  ffmpegPath: string;
  /** An H.264 encoder name (libx264, h264_vaapi, …); empty for the best that works here. */
  encoder: string;
  /**
   * The upload budget in Mbit/s (0.1–100 000): new viewers are turned away (503) once one more copy of
   * the stream would pass it. Null: no budget. Changing it while sharing takes effect at once.
   */
  maxUploadMbit: number | null;
  /** A part of the screen to share, `WxH+X+Y` in the screen's pixels; empty for all of it. */
  region: string;
  /** Scale down before encoding (a 4K or HiDPI screen to 1080p); `native` sends what is captured. */
  outputSize: OutputSize;
  /**
   * One window to share instead of the screen: its X window id (`0x…`) on Linux, its title on Windows;
   * empty for the screen. `mkvcast share --window` finds it by title.
   */
  window: string;
  /** UDP ports for WebRTC viewers, `low-high` (e.g. `40000-40100`); empty for any free port. */
  webrtcPorts: string;
  /**
   * Sound to share: `none`, `system` (what the speakers play), `mic` (the default microphone), or a
   * device's name or id as listAudioDevices gives it.
   */
  audio: string;
}

/** A sound device that can be captured, as the sound server or ffmpeg names it. */
export interface AudioDevice {
  /** What ffmpeg opens: a PulseAudio source name, a dshow device name, an avfoundation index. */
  id: string;
  /** For people: `Built-in Audio Analog Stereo`, `Microphone (Realtek Audio)`, `BlackHole 2ch`. */
  name: string;
  /** `output`: what the speakers play (a monitor or loopback device); `input`: a microphone or line in. */
  kind: 'output' | 'input';
}

/** The sound devices of this machine, and what `system` and `mic` mean here. */
export interface AudioDeviceList {
  devices: AudioDevice[];
  /** The device `system` captures; null when there is none (say `notes` why). */
  systemId: string | null;
  /** The device `mic` captures; null when there is none. */
  micId: string | null;
  /** What a person should know, e.g. that system sound needs a loopback device on this OS. */
  notes: string[];
}

/** One field's problem, for a UI to show next to that field. */
export interface FieldError {
  field: keyof Settings;
  message: string;
}

/** An error as it crosses to the UI (IPC, events): what happened and what to do. */
export interface UserError {
  code: string;
  message: string;
  fix: string;
  /** The setting that caused it, when one did (e.g. `port` for a port in use). */
  field?: keyof Settings;
}

export type SessionState =
  | { kind: 'idle' }
  | { kind: 'starting' }
  | { kind: 'live'; since: string }
  | { kind: 'restarting'; reason: string; attempt: number }
  | { kind: 'stopping' }
  | { kind: 'error'; error: UserError };

export interface ShareLinkInfo {
  url: string;
  interfaceName: string;
  family: 'IPv4' | 'IPv6';
}

export interface SessionStats {
  /** Frames per second ffmpeg captures and encodes. */
  captureFps: number;
  /** Encoding speed relative to real time (1 = keeping up). */
  speed: number;
  bitrateKbps: number;
  droppedFrames: number;
  duplicatedFrames: number;
  segmentsHeld: number;
  uptimeSec: number;
  restarts: number;
  /** Recording, pushes and upload. */
  outputs?: OutputsStatus;
  /**
   * The sound going out: the device's name, its level (dBFS, RMS over the last second; null before the
   * first reading), and whether it is silence standing in for a device that went away.
   */
  audio?: {
    device: string;
    levelDb: number | null;
    silenced: boolean;
    /** The stream's audio track as viewers get it (`A_OPUS`, 48000, 2), once its header is out. */
    track?: { codec: string; sampleRate?: number; channels?: number };
  };
}

/** Everything the window knows at once: sent when it opens, then kept current by the subscriptions. */
export interface SessionSnapshot {
  state: SessionState;
  links: ShareLinkInfo[];
  viewers: ViewerInfo[];
  stats: SessionStats;
  /** True while sharing is paused (viewers see the "Paused" card). */
  paused?: boolean;
  /** The app's pushes, redacted (absent where there are none to keep, as in `mkvcast share`). */
  pushes?: PushEntry[];
}

export type SaveSettingsResult =
  /** `warning`: the settings apply, but could not be stored (disk full…): what happened and what to do. */
  { ok: true; settings: Settings; warning?: string } | { ok: false; errors: FieldError[] };
export type StartResult = { ok: true } | { ok: false; error: UserError };
/**
 * What came of "Choose…" for ffmpeg: the path the person picked in the main process's file dialog,
 * once main checked it is an ffmpeg (only such a path can be saved), or nothing, or why it is refused.
 */
export type ChooseFfmpegResult =
  { outcome: 'chosen'; path: string } | { outcome: 'cancelled' } | { outcome: 'refused'; error: UserError };

/**
 * The one object the preload exposes to the renderer as `window.mkvcast`. Every call is checked by
 * the main process (arguments and sender); subscriptions return their unsubscribe function.
 */
export interface MkvcastApi {
  listScreens(): Promise<ScreenInfo[]>;
  getSettings(): Promise<Settings>;
  saveSettings(settings: Settings): Promise<SaveSettingsResult>;
  start(): Promise<StartResult>;
  stop(): Promise<void>;
  kick(viewerId: string): Promise<boolean>;
  copyLink(url: string): Promise<void>;
  /** Replaces the viewer token (links sent before stop working) and returns the saved settings. */
  newToken(): Promise<Settings>;
  getState(): Promise<SessionSnapshot>;
  /** Whether the system lets this app record the screen (asked again when the window gets focus). */
  screenAccess(): Promise<ScreenAccess>;
  /** Opens the system's Screen Recording settings (macOS), where the user allows mkvcast. */
  openScreenAccessSettings(): Promise<void>;
  /**
   * Opens a file dialog (in the main process) to pick the ffmpeg program and checks it. The window
   * cannot type a path: saveSettings keeps an ffmpegPath only if it is empty, unchanged, or chosen here.
   */
  chooseFfmpeg(): Promise<ChooseFfmpegResult>;
  /**
   * Opens a save dialog (in the main process) for the recording; the window never sends a path. The
   * next Start sharing records to it (its name only comes back). Null: cancelled, the choice unchanged.
   */
  chooseRecordFile(): Promise<string | null>;
  /** The next Start sharing records nothing. */
  clearRecordFile(): Promise<void>;
  /**
   * Adds a push (relay) from its URL, sent once: main checks it, keeps it in its own private file and
   * answers only the redacted list, or why the URL is refused. It starts at once while sharing.
   */
  addPush(url: string): Promise<AddPushResult>;
  /** Removes a push by its id (stopped at once while sharing); answers the list left. */
  removePush(id: string): Promise<PushEntry[]>;
  /** The sound devices for the "Share sound" picker (issue 11): what `system` and `mic` mean here, and notes. */
  listAudioDevices(): Promise<AudioDeviceList>;
  onState(callback: (state: SessionState, links: ShareLinkInfo[]) => void): () => void;
  onViewers(callback: (viewers: ViewerInfo[]) => void): () => void;
  onStats(callback: (stats: SessionStats) => void): () => void;
  /** The screens changed (plugged, unplugged, resized). */
  onScreens(callback: (screens: ScreenInfo[]) => void): () => void;
  /** The windows that can be shared instead of a screen (empty where the platform cannot capture one). */
  listWindows(): Promise<WindowChoice[]>;
  /** Pauses (viewers see a still "Paused" card, nothing of the screen) or resumes; answers the new value. */
  setPaused(paused: boolean): Promise<boolean>;
  /** Sharing was paused or resumed (from the window, the tray or anywhere else). */
  onPaused(callback: (paused: boolean) => void): () => void;
  /** Something that does not stop sharing, e.g. the sound device went away (the session's 'notice'). */
  onNotice(callback: (notice: UserError) => void): () => void;
  /** How this app captures: screens picked in the window, or the Wayland desktop's own dialog (issue 16). */
  captureWay(): Promise<CaptureWay>;
  /** Wayland: forgets the screen chosen in the desktop's dialog (its restore token), so the next start asks again. */
  chooseAgain(): Promise<void>;
}

/**
 * `screens`: the window lists screens and windows, and ffmpeg grabs the one picked (x11grab, gdigrab,
 * avfoundation). `portal`: a Wayland session, where the desktop's ScreenCast dialog asks what to share.
 */
export type CaptureWay = 'screens' | 'portal';

/** A window the app's picker offers: Settings.window takes its `id`. */
export interface WindowChoice {
  /** The X window id (`0x…`) on Linux; the title on Windows (gdigrab captures by title). */
  id: string;
  /** Its title (may be empty). */
  name: string;
  /** The program's class, e.g. `XTerm`; empty where the platform does not say (Windows). */
  className: string;
  /** Its size in pixels; 0 where the platform does not say (Windows). */
  width: number;
  height: number;
  /** A small picture of the window as a `data:` URL, when the platform gives one quickly. */
  thumbnail?: string;
  /** Windows: how many open windows have this title (`id` is the title there); gdigrab shares the first. */
  sameTitleCount?: number;
}

// --- What crosses IPC (the app's main process ↔ window) ---

/**
 * What every request channel answers. Electron flattens an error thrown by an `ipcMain.handle`
 * handler to "Error invoking remote method '…': Error: …" and drops its code, field and fix, so main
 * never throws across IPC: it answers `{ ok: false, error }`, and the window unwraps (renderer/src/mkvcast.ts).
 */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: UserError };

/** MkvcastApi as the preload exposes it: each request answers an IpcResult; subscriptions are unchanged. */
export type MkvcastIpcApi = {
  [K in keyof MkvcastApi]: MkvcastApi[K] extends (...args: infer A) => Promise<infer R>
    ? (...args: A) => Promise<IpcResult<R>>
    : MkvcastApi[K];
};

/** IPC channel names: renderer → main requests (invoke/handle), then main → renderer pushes. */
export const IPC = {
  listScreens: 'mkvcast:list-screens',
  getSettings: 'mkvcast:get-settings',
  saveSettings: 'mkvcast:save-settings',
  start: 'mkvcast:start',
  stop: 'mkvcast:stop',
  kick: 'mkvcast:kick',
  copyLink: 'mkvcast:copy-link',
  newToken: 'mkvcast:new-token',
  getState: 'mkvcast:get-state',
  screenAccess: 'mkvcast:screen-access',
  openScreenAccessSettings: 'mkvcast:open-screen-access-settings',
  chooseFfmpeg: 'mkvcast:choose-ffmpeg',
  chooseRecordFile: 'mkvcast:choose-record-file',
  clearRecordFile: 'mkvcast:clear-record-file',
  listWindows: 'mkvcast:list-windows',
  setPaused: 'mkvcast:set-paused',
  addPush: 'mkvcast:add-push',
  removePush: 'mkvcast:remove-push',
  listAudioDevices: 'mkvcast:list-audio-devices',
  captureWay: 'mkvcast:capture-way',
  chooseAgain: 'mkvcast:choose-again',
  pushState: 'mkvcast:state',
  pushViewers: 'mkvcast:viewers',
  pushStats: 'mkvcast:stats',
  pushScreens: 'mkvcast:screens',
  pushPaused: 'mkvcast:paused',
  pushNotice: 'mkvcast:notice',
} as const;

/**
 * What each main → window push carries, by channel: main's sender and the preload's subscriptions both
 * take their types from here, so a push sent with the wrong payload does not compile.
 */
export interface PushPayloads {
  [IPC.pushState]: { state: SessionState; links: ShareLinkInfo[] };
  [IPC.pushViewers]: ViewerInfo[];
  [IPC.pushStats]: SessionStats;
  [IPC.pushScreens]: ScreenInfo[];
  [IPC.pushPaused]: boolean;
  [IPC.pushNotice]: UserError;
}

export type PushChannel = keyof PushPayloads;

// --- Outputs (issue 13): recording, pushes, upload budget ---

export type RecordingState = 'recording' | 'finishing' | 'done' | 'failed';

export interface RecordingInfo {
  /** The file being written (or last written), with its number (`talk-2.mkv`). */
  file: string;
  /** Files started so far (a header with other tracks starts the next one). */
  files: number;
  state: RecordingState;
  bytes: number;
}

export type PushState = 'connecting' | 'live' | 'retrying' | 'stopped';

/** One push: never its URL, only what is safe to show (no password, no key). */
export interface PushInfo {
  target: string;
  /** What is sent: `Matroska, copied`, `FLV: video copied, audio encoded to AAC …`. */
  sends: string;
  state: PushState;
  /** Kbit/s fed to the push over the last seconds. */
  bitrateKbps: number;
  bytesSent: number;
  /** Runs of its ffmpeg so far (1: never reconnected). */
  runs: number;
  /** Why the last run ended, without secrets. */
  lastError: string | null;
}

/** One of the app's pushes as the window sees it: an id and the target without password or key. */
export interface PushEntry {
  id: string;
  /** PushTarget.shown: `icecast://127.0.0.1:8000/live.mkv`, never the password. */
  shown: string;
}

/** What came of addPush: the new list, or why the URL is refused (with what to type instead). */
export type AddPushResult = { ok: true; pushes: PushEntry[] } | { ok: false; error: UserError };

/** What leaves this machine: copies of the stream (viewers, pushes) and their total rate. */
export interface UploadInfo {
  /** Viewers plus pushes that are sending. */
  copies: number;
  /** copies × the stream's bitrate over the last seconds: what goes out while everyone keeps up. */
  mbitPerSec: number;
  /** `--max-upload`; null: no budget. */
  maxMbitPerSec: number | null;
}

/** The outputs part of /status and of the session's stats. */
export interface OutputsStatus {
  upload: UploadInfo;
  pushes: PushInfo[];
  recording: RecordingInfo | null;
}
