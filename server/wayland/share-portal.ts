/** What `mkvcast share` adds for a Wayland screen: the flags' meaning, the cast, the session's deps. */
import type { SessionDeps } from '../session/deps.js';
import { type CaptureBackend, parseCaptureBackend, pickCaptureBackend } from './detect.js';
import { castScreen, type PortalEncoderFactory, portalEncoders } from './encoder.js';
import { type ScreenCast, type SourceKind, startScreenCast } from './portal.js';
import { RestoreTokenFile } from './restore-token.js';

export const PORTAL_LIST_NOTE =
  "This is a Wayland session: the desktop's own dialog asks which screen or window to share when " +
  'sharing starts (use --choose-again to be asked again, or --capture x11 to list X11 screens).\n';

export const PORTAL_SCREEN_REFUSED =
  "--screen cannot pick the screen through the Wayland portal: the desktop's own dialog asks which " +
  'screen to share. Leave out --screen (use --choose-again to be asked again), or share an X11 ' +
  'screen with --capture x11.';

/** The backend for `--capture` (null when the flag says neither). */
export function captureFromFlag(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): CaptureBackend | null {
  if (flag === undefined) return platform === 'linux' ? pickCaptureBackend(env) : 'x11';
  return parseCaptureBackend(flag);
}

export function sourceFromFlag(flag: string | undefined): SourceKind | null {
  if (flag === undefined) return 'monitor';
  return flag === 'monitor' || flag === 'window' || flag === 'any' ? flag : null;
}

/**
 * Asks the desktop for a cast, with the saved restore token so it need not ask again. A token the
 * desktop no longer takes is forgotten and the dialog asked once more; a refusal forgets it too.
 */
export async function openCast(options: {
  env: NodeJS.ProcessEnv;
  sources: SourceKind;
  chooseAgain: boolean;
  tokens?: RestoreTokenFile;
}): Promise<ScreenCast> {
  const tokens = options.tokens ?? RestoreTokenFile.forEnv(options.env);
  if (options.chooseAgain) await tokens.forget();
  const token = await tokens.load();
  let cast: ScreenCast;
  try {
    cast = await startScreenCast({ sources: options.sources, restoreToken: token }, options.env);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (token === null || code === 'PORTAL_MISSING') throw error;
    await tokens.forget();
    if (code !== 'PORTAL_FAILED') throw error;
    cast = await startScreenCast({ sources: options.sources }, options.env);
  }
  await tokens.save(cast.restoreToken);
  return cast;
}

/**
 * The session's deps for a cast: its one screen, and encoders reading its PipeWire stream; `close`
 * stops the reader once the session has stopped.
 */
export function portalDeps(cast: ScreenCast): { deps: Partial<SessionDeps>; close: () => Promise<void> } {
  const screen = castScreen(cast);
  let factory: PortalEncoderFactory | null = null;
  return {
    deps: {
      display: 'wayland',
      listScreens: () => Promise.resolve([screen]),
      encoders: (ffmpeg) => (factory = portalEncoders({ cast, ...ffmpeg })),
    },
    close: async () => {
      await factory?.close();
    },
  };
}
