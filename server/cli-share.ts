import { parseArgs } from 'node:util';
import { type CorsOriginError, parseCorsOrigin } from './http/cors.js';
import type { Quality, SessionState, SessionStats, Settings, UploadInfo } from './api.js';
import { AudioError } from './audio/errors.js';
import { listAudioDevices } from './audio/listing.js';
import { selectCaptureFfmpeg } from './ffmpeg/select.js';
import { listX11Screens, x11Problem } from './screens.js';
import type { OutputError } from './output/errors.js';
import { checkOutputOptions } from './output/outputs.js';
import { listX11Windows, pickWindow } from './windows.js';
import { SessionError, SharingSession } from './session/session.js';
import { DEFAULT_SETTINGS, newToken, validateSettings } from './settings.js';
import type { ScreenCast } from './wayland/portal.js';
import {
  captureFromFlag,
  openCast,
  PORTAL_LIST_NOTE,
  PORTAL_SCREEN_REFUSED,
  portalDeps,
  sourceFromFlag,
} from './wayland/share-portal.js';

export const SHARE_HELP = `Usage:
  mkvcast share [options]             share a screen of this machine (X11, or Wayland through the desktop's portal)

Options:
  --list-screens     list the screens and exit
  --screen ID|NAME   the screen to share (default: the primary one; X11 only: on Wayland the
                     desktop's dialog chooses)
  --display :N       the X display (default: $DISPLAY)
  --list-windows     list the windows (id, size and place, title) and exit
  --window ID|TITLE  share one window instead of the screen, by id or (part of) its title;
                     capture follows it when it moves, starts again at its new size when it
                     is resized, and stops with a message when it closes
  --region WxH+X+Y   share only this part of the screen, in its pixels from its top-left
                     corner, e.g. 1720x1440+0+0 (the left half of a 3440x1440 screen)
  --fps N            frames per second, 1–60 (default 30)
  --keyint SEC       seconds between keyframes, 0.25–10 (default 1): shorter joins and
                     recovers faster, longer makes a smaller stream
  --quality Q        text (text and slides, the fewest bits), balanced (default),
                     motion (video, games), text444 (sharpest text: 4:4:4, which VLC and
                     mpv play but browsers cannot), or a bitrate in kbit/s
  --size S           native (default), 1080p or 720p: scale down before encoding, e.g. a 4K
                     or HiDPI screen to 1080p (fewer bits, less encoder CPU)
  --port N           HTTP port, 1024–65535 (default 8080)
  --host ADDR        address to listen on (default 0.0.0.0, every interface)
  --max-viewers N    viewers at once (default 64)
  --max-viewers-per-address N
                     viewers at once from one address (default 8)
  --cors ORIGIN      let pages from ORIGIN (e.g. http://192.168.1.5:3000) read the stream
                     and /status from their scripts (default: no other origin may)
  --token VALUE      the viewer token in the link (default: a new random one each run; 'none' for no token)
  --webrtc-ports A-B UDP ports for WebRTC viewers (browsers), e.g. 40000-40100 (default: any free port)
  --encoder NAME     libx264 (default) or a hardware encoder that works here (h264_vaapi, h264_nvenc, …)
  --audio SOURCE     sound to share: none (default), system (what the speakers play), mic, or a
                     device's name or id from --list-audio
  --list-audio       list the sound devices and exit
  --ffmpeg PATH      the ffmpeg binary (default: FFMPEG_PATH, then ffmpeg on PATH)
  --record FILE      also write the stream to FILE (Matroska; a new screen size starts FILE-2.mkv)
  --push URL         also send the stream there, copied, reconnecting by itself (repeatable):
                     icecast://source:PASSWORD@HOST:PORT/MOUNT, http://HOST:PORT/KEY/ingest
                     (another mkvcast), rtmp://HOST/APP/KEY (audio becomes AAC), srt://HOST:PORT
  --max-upload MBIT  refuse new viewers (503) once their copies would pass MBIT Mbit/s
  -q, --quiet        print only the links and errors
  -v, --verbose      also log viewers joining and leaving
  --version          the version

Wayland (GNOME, KDE, sway):
  --capture WAY      portal (the desktop's screen-cast dialog, default on Wayland) or x11
                     (x11grab, default on X11)
  --source KIND      what the dialog offers: monitor (default), window or any
  --choose-again     forget the screen chosen last time, so the dialog asks again

In a terminal, press p to pause (viewers stay connected and see a "Paused" card; nothing of the
screen is sent) and p again to resume.
`;

export class ShareUsageError extends Error {}

/** `h:mm:ss`, for the status lines of both commands. */
export function formatUptime(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = Math.floor(sec % 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** `3 copies · 12.0 Mbit/s out` (`of 50` with a budget), for the status lines of both commands. */
export function formatUpload(upload: UploadInfo): string {
  const budget = upload.maxMbitPerSec === null ? '' : ` of ${upload.maxMbitPerSec}`;
  return `${upload.copies} cop${upload.copies === 1 ? 'y' : 'ies'} · ${upload.mbitPerSec.toFixed(1)}${budget} Mbit/s out`;
}

/** `--record`, `--push`: the session's outputs (server/output/outputs.ts); `--max-upload` is a setting. */
function outputsFromFlags(values: Record<string, string | boolean | string[] | undefined>): {
  record: string | null;
  pushes: string[];
} {
  const record = values.record;
  const pushes = Array.isArray(values.push) ? values.push : [];
  try {
    checkOutputOptions({ pushes });
  } catch (error) {
    const e = error as OutputError;
    throw new ShareUsageError(`${e.message} ${e.fix}`);
  }
  return { record: typeof record === 'string' ? record : null, pushes };
}

/** Flag values to Settings fields; the ranges are checked once, by validateSettings. */
function settingsFromFlags(values: Record<string, string | boolean | string[] | undefined>): Settings {
  const num = (flag: string): number | undefined => {
    const v = values[flag];
    if (typeof v !== 'string') return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n))
      throw new ShareUsageError(`--${flag} must be a number (got '${v}').`);
    return n;
  };
  const quality = values.quality;
  let q: Quality | number | undefined;
  if (typeof quality === 'string') q = /^\d+$/.test(quality) ? Number(quality) : (quality as Quality);
  const token = values.token;
  const input: Partial<Record<keyof Settings, unknown>> = {
    screenId: values.screen,
    fps: num('fps'),
    keyframeIntervalSec: num('keyint'),
    quality: q,
    port: num('port'),
    host: values.host,
    maxViewers: num('max-viewers'),
    token: token === undefined ? newToken() : token === 'none' ? null : token,
    ffmpegPath: values.ffmpeg,
    encoder: values.encoder,
    maxUploadMbit: num('max-upload'),
    region: values.region,
    outputSize: values.size,
    window: values.window,
    webrtcPorts: values['webrtc-ports'],
    audio: values.audio,
  };
  const { settings, errors } = validateSettings(input, DEFAULT_SETTINGS);
  if (errors.length > 0) {
    const flag: Partial<Record<keyof Settings, string>> = {
      screenId: 'screen',
      keyframeIntervalSec: 'keyint',
      maxViewers: 'max-viewers',
      ffmpegPath: 'ffmpeg',
      maxUploadMbit: 'max-upload',
      outputSize: 'size',
      webrtcPorts: 'webrtc-ports',
    };
    throw new ShareUsageError(errors.map((e) => `--${flag[e.field] ?? e.field}: ${e.message}`).join('\n'));
  }
  return settings;
}

/** The HTTP access flags, which are not Settings (the app does not offer them). */
function httpAccessFromFlags(values: Record<string, string | boolean | string[] | undefined>): {
  maxViewersPerAddress?: number;
  cors?: string | null;
} {
  const perAddress = values['max-viewers-per-address'];
  const cors = values.cors;
  const access: { maxViewersPerAddress?: number; cors?: string | null } = {};
  if (typeof perAddress === 'string') {
    const n = Number(perAddress);
    if (!/^\d+$/.test(perAddress.trim()) || n < 1 || n > 100_000)
      throw new ShareUsageError(
        `--max-viewers-per-address must be a whole number from 1 to 100000 (got '${perAddress}').`,
      );
    access.maxViewersPerAddress = n;
  }
  if (typeof cors === 'string') {
    try {
      access.cors = parseCorsOrigin(cors);
    } catch (error) {
      const e = error as CorsOriginError;
      throw new ShareUsageError(`--cors: ${e.message} ${e.fix}`);
    }
  }
  return access;
}

/** The session's fixes name the app's settings; on the command line, the same fix names the flag. */
function withFlagInFix(error: unknown): unknown {
  if (error instanceof SessionError && error.code === 'ENCODER_UNAVAILABLE') {
    return Object.assign(new Error(error.message), {
      code: error.code,
      fix: 'Leave out --encoder to use libx264, or name another encoder that works here.',
    });
  }
  if (error instanceof AudioError) {
    return Object.assign(new Error(`--audio: ${error.message}`), { code: error.code, fix: error.fix });
  }
  return error;
}

/** `--list-audio`: one device a line (id, kind, name), then what system and mic mean here, and notes. */
async function audioListing(ffmpegFlag: string, env: NodeJS.ProcessEnv): Promise<string> {
  const platform = process.platform === 'win32' || process.platform === 'darwin' ? process.platform : 'linux';
  const ffmpeg = platform === 'linux' ? '' : (await selectCaptureFfmpeg(platform, ffmpegFlag, env)).path;
  const list = await listAudioDevices(platform, ffmpeg, env);
  const lines = list.devices.map((d) => `${d.id}\t${d.kind === 'output' ? 'speakers' : 'input'}\t${d.name}`);
  const name = (id: string | null): string => list.devices.find((d) => d.id === id)?.name ?? '(none)';
  lines.push(`system: ${name(list.systemId)}`, `mic: ${name(list.micId)}`, ...list.notes);
  return `${lines.join('\n')}\n`;
}

/** The sound part of the status line: its level, or that it is silence standing in for a device. */
function soundStatus(audio: SessionStats['audio']): string {
  if (!audio) return '';
  if (audio.silenced) return ` · sound: silence (${audio.device} is gone)`;
  return audio.levelDb === null ? ' · sound' : ` · sound ${audio.levelDb.toFixed(0)} dB`;
}

function describeState(state: SessionState): string {
  switch (state.kind) {
    case 'restarting':
      return `restarting (${state.reason})`;
    case 'error':
      return `error: ${state.error.message}`;
    default:
      return state.kind;
  }
}

/**
 * In a terminal, `p` pauses and resumes sharing (viewers see a "Paused" card meanwhile). The terminal is
 * in raw mode for that, so Ctrl-C arrives as a key and is handled as the signal would be. Returns the
 * function that gives the terminal back.
 */
function pauseKey(session: SharingSession, onInterrupt: () => void, out: (line: string) => void): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY) return () => {};
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  const onKey = (key: string): void => {
    if (key === '\x03') onInterrupt();
    else if (key === 'p' || key === 'P') {
      try {
        session.setPaused(!session.paused);
        out(session.paused ? '\nPaused: viewers see a "Paused" card. Press p to resume.' : '\nResumed.');
      } catch (error) {
        const e = error as SessionError;
        process.stderr.write(`\nmkvcast: ${e.message} ${e.fix ?? ''}\n`);
      }
    }
  };
  stdin.on('data', onKey);
  out('Press p to pause or resume, Ctrl-C to stop.');
  return () => {
    stdin.off('data', onKey);
    stdin.setRawMode(false);
    stdin.pause();
  };
}

/** `mkvcast share`: resolves when sharing stops (Ctrl-C); throws when it cannot start or fails. */
export async function share(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      'list-screens': { type: 'boolean' },
      screen: { type: 'string' },
      display: { type: 'string' },
      region: { type: 'string' },
      window: { type: 'string' },
      size: { type: 'string' },
      'list-windows': { type: 'boolean' },
      fps: { type: 'string' },
      keyint: { type: 'string' },
      quality: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'max-viewers': { type: 'string' },
      'max-viewers-per-address': { type: 'string' },
      cors: { type: 'string' },
      token: { type: 'string' },
      encoder: { type: 'string' },
      'webrtc-ports': { type: 'string' },
      audio: { type: 'string' },
      'list-audio': { type: 'boolean' },
      ffmpeg: { type: 'string' },
      record: { type: 'string' },
      push: { type: 'string', multiple: true },
      'max-upload': { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      verbose: { type: 'boolean', short: 'v' },
      capture: { type: 'string' },
      source: { type: 'string' },
      'choose-again': { type: 'boolean' },
    },
  });
  const capture = captureFromFlag(values.capture, process.env, process.platform);
  if (capture === null)
    throw new ShareUsageError(`--capture must be portal or x11 (got '${values.capture}').`);
  // The portal's dialog chooses the screen: a --screen would be silently ignored there.
  if (capture === 'portal' && values.screen !== undefined) throw new ShareUsageError(PORTAL_SCREEN_REFUSED);
  const sources = sourceFromFlag(values.source);
  if (sources === null)
    throw new ShareUsageError(`--source must be monitor, window or any (got '${values.source}').`);
  const access = httpAccessFromFlags(values);
  const outputs = outputsFromFlags(values);
  const display = values.display ?? process.env.DISPLAY ?? '';
  if (values.display !== undefined && !/^[A-Za-z0-9.-]*:\d+(\.\d+)?$/.test(values.display)) {
    throw new ShareUsageError(`--display must look like :0 or :1.0 (got '${values.display}').`);
  }
  // --capture x11 on a Wayland session: x11grab through XWayland, as asked (X11 windows only).
  const forcedX11 = values.capture === 'x11' ? { XDG_SESSION_TYPE: 'x11' } : {};
  const env = { ...process.env, ...(display ? { DISPLAY: display } : {}), ...forcedX11 };
  const quiet = values.quiet ?? false;
  const out = (line: string): void => {
    if (!quiet) process.stdout.write(`${line}\n`);
  };

  if (values['list-audio']) {
    process.stdout.write(await audioListing(values.ffmpeg ?? '', env));
    return;
  }
  if (process.platform === 'linux' && capture === 'x11') {
    const problem = x11Problem(env, display);
    if (problem) throw problem;
  }
  if (values['list-screens'] && capture === 'portal') {
    process.stdout.write(PORTAL_LIST_NOTE);
    return;
  }
  if (values['list-screens']) {
    const screens = await listX11Screens(display);
    for (const s of screens) {
      process.stdout.write(`${s.id}\t${s.width}x${s.height}+${s.x}+${s.y}${s.primary ? '\tprimary' : ''}\n`);
    }
    return;
  }

  if (values['list-windows']) {
    for (const w of await listX11Windows(display)) {
      process.stdout.write(`${w.id}\t${w.width}x${w.height}+${w.x}+${w.y}\t${w.className}\t${w.name}\n`);
    }
    return;
  }
  if (values.window !== undefined && process.platform === 'linux') {
    values.window = pickWindow(await listX11Windows(display), values.window).id;
  }
  const settings = settingsFromFlags(values);
  let cast: ScreenCast | null = null;
  if (capture === 'portal') {
    cast = await openCast({ env: process.env, sources, chooseAgain: values['choose-again'] ?? false });
  }
  const deps: ConstructorParameters<typeof SharingSession>[1] = {
    display,
    env,
    ...access,
    ...outputs,
    // A recording or push that fails is an error, which --quiet still prints.
    onOutputNotice: (message, problem) => {
      if (!quiet || problem) process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}${message}\n`);
    },
  };
  const portal = cast ? portalDeps(cast) : null;
  try {
    await shareWith(settings, { ...deps, ...portal?.deps }, values, out);
  } finally {
    await portal?.close();
    await cast?.close();
  }
}

async function shareWith(
  settings: Settings,
  deps: ConstructorParameters<typeof SharingSession>[1],
  values: { quiet?: boolean; verbose?: boolean },
  out: (line: string) => void,
): Promise<void> {
  const quiet = values.quiet ?? false;
  const display = deps?.display ?? '';
  const session = new SharingSession(settings, deps);
  await session.start().catch((error: unknown) => {
    throw withFlagInFix(error);
  });
  session.on('notice', (notice: { message: string; fix: string }) => {
    process.stderr.write(`${notice.message} ${notice.fix}\n`);
  });
  const screen = session.sharedScreen;
  out(`Sharing ${screen?.name ?? 'the screen'} of display ${display} at ${settings.fps} fps.`);
  out('Send one of these links (open it in VLC or mpv, or the same address without live.mkv in a browser):');
  // Kept by --quiet: the links carry the random token, which nothing else shows.
  for (const link of session.links) process.stdout.write(`  ${link.url}   (${link.interfaceName})\n`);

  if (values.verbose && !quiet) {
    let known = new Set<string>();
    session.on('viewers', (list: { id: string; address: string; client: string }[]) => {
      for (const v of list)
        if (!known.has(v.id)) process.stderr.write(`viewer joined: ${v.client} from ${v.address}\n`);
      const ids = new Set(list.map((v) => v.id));
      for (const id of known) if (!ids.has(id)) process.stderr.write(`viewer left: ${id}\n`);
      known = ids;
    });
  }
  const statusLine = !quiet && process.stderr.isTTY;
  if (statusLine) {
    session.on('stats', () => {
      const st = session.stats();
      const viewers = session.viewers().length;
      process.stderr.write(
        `\r\x1b[K${session.paused ? 'PAUSED · ' : ''}${describeState(session.state)} · ${viewers} viewer${viewers === 1 ? '' : 's'} · ${st.captureFps.toFixed(1)} fps · ` +
          `${(st.bitrateKbps / 1000).toFixed(1)} Mbit/s${st.outputs ? ` · ${formatUpload(st.outputs.upload)}` : ''} · up ${formatUptime(st.uptimeSec)}` +
          soundStatus(st.audio),
      );
    });
  }

  let stopKeys = (): void => {};
  await new Promise<void>((resolve, reject) => {
    let stopping = false;
    const onSignal = (): void => {
      if (stopping) process.exit(130); // a second Ctrl-C: do not wait
      stopping = true;
      void session.stop().then(resolve, reject);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    stopKeys = pauseKey(session, onSignal, out);
    session.on('state', (state: SessionState) => {
      if (state.kind === 'error') {
        reject(Object.assign(new Error(state.error.message), { fix: state.error.fix }));
      } else if (!statusLine && !quiet && state.kind !== 'idle') {
        process.stderr.write(`${describeState(state)}\n`);
      }
    });
  });
  stopKeys();
  if (statusLine) process.stderr.write('\r\x1b[K');
  out('Stopped sharing.');
}
