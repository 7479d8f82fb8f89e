/**
 * The main process's IPC handlers: one per request channel in IPC (a missing one does not compile),
 * each refusing a sender that is not the app's own page before it looks at the arguments, then
 * checking the arguments (ipc-args.ts) before the AppController runs anything. Every handler answers
 * an IpcResult and never throws: Electron would flatten the error to its message, losing code and fix.
 */
import { IPC, type IpcResult, type UserError } from '../server/api.js';
import { toUserError } from '../server/session/errors.js';
import type { AppController } from './controller.js';
import {
  booleanArg,
  copyTextArg,
  IpcArgumentError,
  IpcSenderError,
  isAppSender,
  noArgs,
  pushIdArg,
  pushUrlArg,
  settingsArg,
  viewerIdArg,
} from './ipc-args.js';
import { PushSaveError } from './push-list.js';
import type { RequestChannel } from './requests.js';

export type { RequestChannel } from './requests.js';

/** What a handler looks at of Electron's IpcMainInvokeEvent: the frame that sent it. */
export interface IpcSender {
  senderFrame?: { url: string } | null;
}

/** What registerIpc needs of Electron's ipcMain. */
export interface IpcRegistry {
  handle(
    channel: string,
    listener: (event: IpcSender, ...args: unknown[]) => Promise<IpcResult<unknown>>,
  ): void;
}

/** What each request does with its (unchecked) arguments. */
export function requestHandlers(
  controller: AppController,
): Record<RequestChannel, (args: unknown[]) => unknown> {
  const withoutArgs =
    (run: () => unknown) =>
    (args: unknown[]): unknown => {
      noArgs(args);
      return run();
    };
  return {
    [IPC.listScreens]: withoutArgs(() => controller.listScreens()),
    [IPC.getSettings]: withoutArgs(() => controller.getSettings()),
    [IPC.start]: withoutArgs(() => controller.start()),
    [IPC.stop]: withoutArgs(() => controller.stop()),
    [IPC.newToken]: withoutArgs(() => controller.newToken()),
    [IPC.getState]: withoutArgs(() => controller.getState()),
    [IPC.screenAccess]: withoutArgs(() => controller.screenAccess()),
    [IPC.openScreenAccessSettings]: withoutArgs(() => controller.openScreenAccessSettings()),
    [IPC.chooseFfmpeg]: withoutArgs(() => controller.chooseFfmpeg()),
    [IPC.chooseRecordFile]: withoutArgs(() => controller.chooseRecordFile()),
    [IPC.clearRecordFile]: withoutArgs(() => controller.clearRecordFile()),
    [IPC.listAudioDevices]: withoutArgs(() => controller.listAudioDevices()),
    [IPC.captureWay]: withoutArgs(() => controller.captureWay()),
    [IPC.chooseAgain]: withoutArgs(() => controller.chooseAgain()),
    [IPC.saveSettings]: (args) => controller.saveSettings(settingsArg(args)),
    [IPC.kick]: (args) => controller.kick(viewerIdArg(args)),
    [IPC.copyLink]: (args) => controller.copyLink(copyTextArg(args)),
    [IPC.listWindows]: withoutArgs(() => controller.listWindows()),
    [IPC.setPaused]: (args) => controller.setPaused(booleanArg(args)),
    [IPC.addPush]: (args) => controller.addPush(pushUrlArg(args)),
    [IPC.removePush]: (args) => controller.removePush(pushIdArg(args)),
  };
}

/** Registers every handler on `ipc`, each behind the sender check against the page at `appUrl`. */
export function registerIpc(
  ipc: IpcRegistry,
  appUrl: string,
  handlers: Record<RequestChannel, (args: unknown[]) => unknown>,
): void {
  for (const [channel, run] of Object.entries(handlers) as [RequestChannel, (args: unknown[]) => unknown][]) {
    ipc.handle(channel, async (event, ...args) => {
      try {
        if (!isAppSender(event.senderFrame?.url, appUrl)) throw new IpcSenderError(channel);
        return { ok: true, value: await run(args) };
      } catch (error) {
        return { ok: false, error: ipcError(error) };
      }
    });
  }
}

/** The error a handler answers with: the session's errors as toUserError maps them, this file's own with their fix. */
export function ipcError(error: unknown): UserError {
  if (error instanceof IpcArgumentError || error instanceof IpcSenderError) {
    return { code: error.code, message: error.message, fix: error.fix };
  }
  if (error instanceof PushSaveError) return error.toUserError();
  return toUserError(error);
}
