export type InputErrorCode = 'INPUT_NOT_FOUND' | 'INPUT_UNREADABLE' | 'NO_MEDIA' | 'BAD_INPUT_SPEC';

/** The input could not be opened or read: what, and what to do. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly code: InputErrorCode,
    message: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
