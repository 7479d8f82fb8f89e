import type { IpcResult, MkvcastApi, MkvcastIpcApi } from '../../server/api.js';
import { unwrap } from './answers';

export { AppError, errorText, userErrorOf } from './answers';

declare global {
  interface Window {
    /** Exposed by the preload (electron/preload.ts), or by the test bridge (support/app-bridge.ts). */
    mkvcast: MkvcastIpcApi;
  }
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
    chooseRecordFile: call(ipc.chooseRecordFile),
    clearRecordFile: call(ipc.clearRecordFile),
    listWindows: call(ipc.listWindows),
    setPaused: call(ipc.setPaused),
    addPush: call(ipc.addPush),
    removePush: call(ipc.removePush),
    listAudioDevices: call(ipc.listAudioDevices),
    captureWay: call(ipc.captureWay),
    chooseAgain: call(ipc.chooseAgain),
    onState: ipc.onState,
    onViewers: ipc.onViewers,
    onStats: ipc.onStats,
    onScreens: ipc.onScreens,
    onPaused: ipc.onPaused,
    onNotice: ipc.onNotice,
  };
}
