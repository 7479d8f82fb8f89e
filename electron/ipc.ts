/**
 * The main process's IPC handlers: one per request channel in IPC (a missing one does not compile),
 * each refusing a sender that is not the app's own page before it looks at the arguments, then
 * checking the arguments (ipc-args.ts) before the AppController runs anything.
 */
import { IPC, type PushChannel } from '../server/api.js';
import type { AppController } from './controller.js';
import { copyTextArg, IpcArgumentError, isAppSender, noArgs, settingsArg, viewerIdArg } from './ipc-args.js';

/** The renderer → main channels (invoke/handle); the rest of IPC are main → window pushes. */
export type RequestChannel = Exclude<(typeof IPC)[keyof typeof IPC], PushChannel>;

/** What a handler looks at of Electron's IpcMainInvokeEvent: the frame that sent it. */
export interface IpcSender {
  senderFrame?: { url: string } | null;
}

/** What registerIpc needs of Electron's ipcMain. */
export interface IpcRegistry {
  handle(channel: string, listener: (event: IpcSender, ...args: unknown[]) => unknown): void;
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
    [IPC.saveSettings]: (args) => controller.saveSettings(settingsArg(args)),
    [IPC.kick]: (args) => controller.kick(viewerIdArg(args)),
    [IPC.copyLink]: (args) => controller.copyLink(copyTextArg(args)),
  };
}

/** Registers every handler on `ipc`, each behind the sender check against the page at `appUrl`. */
export function registerIpc(
  ipc: IpcRegistry,
  appUrl: string,
  handlers: Record<RequestChannel, (args: unknown[]) => unknown>,
): void {
  for (const [channel, run] of Object.entries(handlers) as [RequestChannel, (args: unknown[]) => unknown][]) {
    ipc.handle(channel, (event, ...args) => {
      if (!isAppSender(event.senderFrame?.url, appUrl)) {
        throw new IpcArgumentError(`${channel} refused: the request did not come from the mkvcast window`);
      }
      return run(args);
    });
  }
}
