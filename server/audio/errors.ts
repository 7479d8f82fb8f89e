export type AudioErrorCode =
  | 'AUDIO_DEVICE_NOT_FOUND'
  | 'SOUND_SERVER_UNREACHABLE'
  | 'SOUND_SERVER_UNREADABLE'
  | 'AUDIO_DEVICE_GONE'
  | 'AUDIO_UNSUPPORTED';

/** A sound device or the sound server: missing, unreachable, or gone while sharing. */
export class AudioError extends Error {
  override readonly name = 'AudioError';
  constructor(
    readonly code: AudioErrorCode,
    message: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The device went away while sharing: the viewers hear silence until it is back. */
export function audioDeviceGone(name: string): AudioError {
  return new AudioError(
    'AUDIO_DEVICE_GONE',
    `The sound device '${name}' went away (unplugged, or the sound server restarted); viewers hear silence.`,
    'Plug it back in or start the sound server again: the sound comes back by itself. Or pick another device.',
  );
}
