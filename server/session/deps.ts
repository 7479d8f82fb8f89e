import type { AudioDeviceList, ScreenInfo } from '../api.js';
import { listAudioDevices } from '../audio/listing.js';
import type { CapturePlatform } from '../ffmpeg/capture.js';
import { listX11Screens, ScreenError, x11Problem } from '../screens.js';
import type { EncoderFactory, EncoderFactoryOptions } from './encoder.js';

/** What a SharingSession takes from its surroundings; tests and the app replace some of it. */
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
  /** Viewers at once from one address (StreamServer's default, 8, when absent). */
  maxViewersPerAddress?: number;
  /** The one origin whose pages may read the stream and /status (CORS); none when absent. */
  cors?: string | null;
  /**
   * `--record FILE`, `--push URL`… (server/output/outputs.ts); none when absent. Settings.maxUploadMbit,
   * when set, is the upload budget; maxUploadMbit here is the one used when it is null.
   */
  record?: string | null;
  pushes?: readonly string[];
  maxUploadMbit?: number | null;
  pushBackoffMs?: readonly number[];
  /** One line for people from the recording and the pushes (a file finished, a push reconnecting). */
  onOutputNotice?: (message: string, problem?: boolean) => void;
  /**
   * Another way to capture than ffmpeg's own grabbers (the Wayland portal path); given what
   * ffmpegEncoders is given (the ffmpeg chosen, the encoder, pause and sound), it makes the encoders.
   * ffmpegEncoders when absent.
   */
  encoders?: (options: EncoderFactoryOptions) => EncoderFactory;
  /** The sound devices now (pactl on Linux; ffmpeg's device list, run with `ffmpegPath`, elsewhere). */
  listAudioDevices: (ffmpegPath: string) => Promise<AudioDeviceList>;
  /** How often the sound device is looked for while sharing with sound (gone → silence; back → sound). */
  audioPollMs: number;
}

/** The defaults for this machine, filled in around what the caller gave. */
export function defaultDeps(given: Partial<SessionDeps>): SessionDeps {
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
    listAudioDevices: (ffmpegPath) => listAudioDevices(platform, ffmpegPath, env),
    audioPollMs: 1000,
    ...given,
  };
}
