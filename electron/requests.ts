/**
 * The window's requests by name (MkvcastApi's methods) and the IPC channel each one travels on: the
 * preload and the browser tests' bridge (support/app-bridge.ts) both send through this one table.
 */
import { IPC, type MkvcastApi, type PushChannel } from '../server/api.js';

/** The renderer → main channels (invoke/handle); the rest of IPC are main → window pushes. */
export type RequestChannel = Exclude<(typeof IPC)[keyof typeof IPC], PushChannel>;

/** MkvcastApi's request methods (the others, `on…`, are subscriptions to pushes). */
export type RequestName = Exclude<keyof MkvcastApi, `on${string}`>;

export const REQUEST_CHANNELS: Readonly<Record<RequestName, RequestChannel>> = {
  listScreens: IPC.listScreens,
  getSettings: IPC.getSettings,
  saveSettings: IPC.saveSettings,
  start: IPC.start,
  stop: IPC.stop,
  kick: IPC.kick,
  copyLink: IPC.copyLink,
  newToken: IPC.newToken,
  getState: IPC.getState,
  screenAccess: IPC.screenAccess,
  openScreenAccessSettings: IPC.openScreenAccessSettings,
  chooseFfmpeg: IPC.chooseFfmpeg,
  chooseRecordFile: IPC.chooseRecordFile,
  clearRecordFile: IPC.clearRecordFile,
  listWindows: IPC.listWindows,
  setPaused: IPC.setPaused,
  addPush: IPC.addPush,
  removePush: IPC.removePush,
  listAudioDevices: IPC.listAudioDevices,
  captureWay: IPC.captureWay,
  chooseAgain: IPC.chooseAgain,
};
