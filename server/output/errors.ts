export type OutputErrorCode =
  'RECORD_UNWRITABLE' | 'RECORD_EXISTS' | 'PUSH_URL_INVALID' | 'UPLOAD_BUDGET_INVALID';

/** A recording or a push that cannot be set up as asked (bad path, bad URL). */
export class OutputError extends Error {
  override readonly name = 'OutputError';
  constructor(
    readonly code: OutputErrorCode,
    message: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Why writing to a file failed, for a person: `the disk is full (ENOSPC)`. */
export function writeProblem(error: NodeJS.ErrnoException | null): string {
  switch (error?.code) {
    case 'ENOSPC':
      return 'the disk is full (ENOSPC)';
    case 'EDQUOT':
      return 'the disk quota is used up (EDQUOT)';
    case 'EACCES':
    case 'EPERM':
      return `this program may not write there (${error.code})`;
    case 'ENOENT':
      return 'its folder does not exist (ENOENT)';
    case 'EROFS':
      return 'the disk is read-only (EROFS)';
    case undefined:
      return 'the disk did not keep up with the stream';
    default:
      if (!error) return 'the disk did not keep up with the stream';
      return `${error.message} (${error.code})`;
  }
}
