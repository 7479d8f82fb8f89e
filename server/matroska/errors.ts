export type MatroskaErrorCode =
  | 'NOT_MATROSKA'
  | 'BAD_ID'
  | 'BAD_SIZE'
  | 'ELEMENT_TOO_LARGE'
  | 'UNKNOWN_SIZE_NOT_ALLOWED'
  | 'TRUNCATED'
  | 'NO_TRACKS'
  | 'MISSING_TIMESTAMP'
  | 'BAD_BLOCK'
  | 'UNEXPECTED_ELEMENT';

/** A stream that is not Matroska/WebM or breaks its rules. `offset` is the byte offset in the input. */
export class MatroskaError extends Error {
  override readonly name = 'MatroskaError';
  constructor(
    readonly code: MatroskaErrorCode,
    message: string,
    readonly offset: number,
    options?: { cause?: unknown },
  ) {
    super(`${message} (at byte ${offset})`, options);
  }
}
