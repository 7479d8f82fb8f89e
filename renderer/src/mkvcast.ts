import type { IpcResult, MkvcastApi, MkvcastIpcApi, Settings, UserError } from '../../server/api.js';

declare global {
  interface Window {
    /** Exposed by the preload (electron/preload.ts), or by the test bridge (support/app-bridge.ts). */
    mkvcast: MkvcastIpcApi;
  }
}

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

/** What a person reads of a failed request: what happened, then what to do. */
export function errorText(error: unknown): string {
  if (error instanceof AppError) return `${error.message} ${error.fix}`;
  return error instanceof Error ? error.message : String(error);
}

/** The only way the window talks to the rest of the app: MkvcastApi over the preload's answers. */
export function api(): MkvcastApi {
  const ipc = window.mkvcast;
  const call =
    <A extends unknown[], T>(request: (...args: A) => Promise<IpcResult<T>>) =>
    async (...args: A): Promise<T> =>
      unwrap(await request(...args));
  return {
    listScreens: call(ipc.listScreens),
    getSettings: call(ipc.getSettings),
    saveSettings: call(ipc.saveSettings),
    start: call(ipc.start),
    stop: call(ipc.stop),
    kick: call(ipc.kick),
    copyLink: call(ipc.copyLink),
    newToken: call(ipc.newToken),
    getState: call(ipc.getState),
    screenAccess: call(ipc.screenAccess),
    openScreenAccessSettings: call(ipc.openScreenAccessSettings),
    chooseFfmpeg: call(ipc.chooseFfmpeg),
    onState: ipc.onState,
    onViewers: ipc.onViewers,
    onStats: ipc.onStats,
    onScreens: ipc.onScreens,
  };
}
