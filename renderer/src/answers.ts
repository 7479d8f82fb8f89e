/** The window's side of IPC answers (pure): an IpcResult's value, or its error kept as an AppError. */
import type { IpcResult, Settings, UserError } from '../../server/api.js';

/** A request main answered with an error: its message, and its code, fix and field kept. */
export class AppError extends Error implements UserError {
  override readonly name = 'AppError';
  readonly code: string;
  readonly fix: string;
  readonly field?: keyof Settings;
  constructor(error: UserError) {
    super(error.message);
    this.code = error.code;
    this.fix = error.fix;
    if (error.field) this.field = error.field;
  }
}

/** The value of an answer, or its error thrown as an AppError. */
export function unwrap<T>(result: IpcResult<T>): T {
  if (result.ok) return result.value;
  throw new AppError(result.error);
}

/** A failed request as the window shows it: main's error with its fix, or a generic fix for anything else. */
export function userErrorOf(error: unknown): UserError {
  if (error instanceof AppError) {
    return {
      code: error.code,
      message: error.message,
      fix: error.fix,
      ...(error.field ? { field: error.field } : {}),
    };
  }
  return {
    code: 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
    fix: 'Try again; if it keeps happening, restart mkvcast.',
  };
}

/** What a person reads of a failed request: what happened, then what to do. */
export function errorText(error: unknown): string {
  if (error instanceof AppError) return `${error.message} ${error.fix}`;
  return error instanceof Error ? error.message : String(error);
}
