/**
 * The app's Wayland capture (issue 16): the same ScreenCast portal path as `mkvcast share`, opened
 * when sharing starts rather than before the session exists. The CLI asks the desktop first and
 * builds a session around the cast; the app's session lives as long as the app, so its deps open a
 * cast on the first screen lookup of a start (the desktop's dialog, or the restore token), and the
 * controller closes it when the session goes back to idle or error.
 */
import type { SessionDeps } from '../server/session/deps.js';
import type { CaptureBackend } from '../server/wayland/detect.js';
import { castScreen, type PortalEncoderFactory, portalEncoders } from '../server/wayland/encoder.js';
import type { ScreenCast, SourceKind } from '../server/wayland/portal.js';
import { RestoreTokenFile } from '../server/wayland/restore-token.js';
import { captureFromFlag, openCast } from '../server/wayland/share-portal.js';

/** What the controller needs of it: the dialog's choice forgotten, the cast closed. */
export interface PortalChoice {
  /** The next start asks the desktop again (its restore token is deleted). */
  forget(): Promise<void>;
  /** Ends the cast and its PipeWire reader (sharing has stopped); idempotent. */
  close(): Promise<void>;
}

/**
 * The app's capture for this session: `--capture=portal|x11` on the app's command line (as the CLI's
 * `--capture`), else the CLI's own guess (Wayland: the portal). A value that is neither is ignored
 * with a warning, and the guess is used.
 */
export function appCapture(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): { backend: CaptureBackend; warning: string | null } {
  const given = flag === undefined || flag === '' ? undefined : flag;
  const backend = captureFromFlag(given, env, platform);
  if (backend !== null) return { backend, warning: null };
  return {
    backend: captureFromFlag(undefined, env, platform) ?? 'x11',
    warning: `--capture must be portal or x11 (got '${flag}'); capturing as this session suggests.`,
  };
}

export class PortalCapture implements PortalChoice {
  private readonly env: NodeJS.ProcessEnv;
  private readonly sources: SourceKind;
  private readonly tokens: RestoreTokenFile;
  private current: { cast: ScreenCast; encoders: PortalEncoderFactory | null } | null = null;
  private opening: Promise<ScreenCast> | null = null;

  constructor(env: NodeJS.ProcessEnv, options: { sources?: SourceKind; tokens?: RestoreTokenFile } = {}) {
    this.env = env;
    // Monitors, as `mkvcast share` asks by default; the desktop's dialog picks which one.
    this.sources = options.sources ?? 'monitor';
    this.tokens = options.tokens ?? RestoreTokenFile.forEnv(env);
  }

  /**
   * What SharingSession takes: the cast's one screen (opening the cast when none is open: the
   * dialog's refusal or a missing portal then fails start() with its PortalError, fix included), and
   * encoders that read its PipeWire stream.
   */
  sessionDeps(): Partial<SessionDeps> {
    return {
      display: 'wayland',
      env: this.env,
      listScreens: async () => [castScreen(await this.cast())],
      encoders: (ffmpeg) => {
        const current = this.current;
        // start() looks the screen up (which opens the cast) before it asks for encoders.
        if (!current) throw new Error('The Wayland screen cast is not open: sharing was stopped meanwhile.');
        current.encoders = portalEncoders({ cast: current.cast, ...ffmpeg });
        return current.encoders;
      },
    };
  }

  private async cast(): Promise<ScreenCast> {
    if (this.current) return this.current.cast;
    this.opening ??= openCast({
      env: this.env,
      sources: this.sources,
      chooseAgain: false,
      tokens: this.tokens,
    })
      .then((cast) => {
        this.current = { cast, encoders: null };
        return cast;
      })
      .finally(() => {
        this.opening = null;
      });
    return this.opening;
  }

  forget(): Promise<void> {
    return this.tokens.forget();
  }

  async close(): Promise<void> {
    // A cast still being granted is closed once it is (the session stopped while the dialog asked).
    await this.opening?.catch(() => undefined);
    const current = this.current;
    this.current = null;
    if (!current) return;
    await current.encoders?.close();
    await current.cast.close();
  }
}
