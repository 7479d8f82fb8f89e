import type { FieldError, Settings, UserError } from '../api.js';
import { AudioError } from '../audio/errors.js';
import { FfmpegError } from '../ffmpeg/errors.js';
import { HttpError } from '../http/errors.js';
import { ScreenError } from '../screens.js';
import { PortalError } from '../wayland/errors.js';
import { WindowError } from '../windows.js';

export type SessionErrorCode = 'INVALID_SETTINGS' | 'ENCODER_FAILED' | 'ENCODER_UNAVAILABLE' | 'NOT_RUNNING';

export class SessionError extends Error {
  override readonly name = 'SessionError';
  constructor(
    readonly code: SessionErrorCode,
    message: string,
    readonly fix: string,
    readonly field?: keyof Settings,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message);
  }
}

/** The encoder ran but never sent a picture in the time allowed. */
export function noPicture(): SessionError {
  return new SessionError(
    'ENCODER_FAILED',
    'ffmpeg started but sent no picture.',
    'Check the screen and try again.',
  );
}

/** The first run of the encoder failed before its first picture: the setup is wrong, not the moment. */
export function captureFailed(reason: string): SessionError {
  return new SessionError(
    'ENCODER_FAILED',
    `Screen capture failed: ${reason}.`,
    'Check the screen and the ffmpeg settings, then try again.',
  );
}

/** The encoder failed again and again after it had worked: the RestartPolicy gave up. */
export function captureKeepsFailing(reason: string): SessionError {
  return new SessionError(
    'ENCODER_FAILED',
    `Screen capture keeps failing: ${reason}.`,
    'Check the screen and the ffmpeg settings, then start again.',
  );
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
  if (error instanceof AudioError)
    return { code: error.code, message: error.message, fix: error.fix, field: 'audio' };
  if (error instanceof SessionError)
    return { code: error.code, message: error.message, fix: error.fix, field: error.field };
  if (error instanceof PortalError) return { code: error.code, message: error.message, fix: error.fix };
  if (error instanceof WindowError)
    return { code: error.code, message: error.message, fix: error.fix, field: 'window' };
  const e = error as { code?: unknown; message?: unknown };
  return {
    code: typeof e.code === 'string' ? e.code : 'INTERNAL',
    message: typeof e.message === 'string' ? e.message : String(error),
    fix: 'Try again; if it keeps happening, restart mkvcast.',
  };
}
