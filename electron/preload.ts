/**
 * The window's only door to the app: one object, `window.mkvcast`, typed by MkvcastApi. It exposes
 * named calls, never ipcRenderer itself. Sandboxed preloads cannot import local files, so this file is
 * bundled (esbuild, see `build:preload`) with the channel names from server/api.ts and push.ts into preload.cjs.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { IPC, type MkvcastIpcApi } from '../server/api.js';
import { subscribePush } from './push.js';

// Each request answers an IpcResult (see electron/ipc.ts), passed to the window as it is.
const api: MkvcastIpcApi = {
  listScreens: () => ipcRenderer.invoke(IPC.listScreens),
  getSettings: () => ipcRenderer.invoke(IPC.getSettings),
  saveSettings: (settings) => ipcRenderer.invoke(IPC.saveSettings, settings),
  start: () => ipcRenderer.invoke(IPC.start),
  stop: () => ipcRenderer.invoke(IPC.stop),
  kick: (viewerId) => ipcRenderer.invoke(IPC.kick, viewerId),
  copyLink: (url) => ipcRenderer.invoke(IPC.copyLink, url),
  newToken: () => ipcRenderer.invoke(IPC.newToken),
  getState: () => ipcRenderer.invoke(IPC.getState),
  screenAccess: () => ipcRenderer.invoke(IPC.screenAccess),
  openScreenAccessSettings: () => ipcRenderer.invoke(IPC.openScreenAccessSettings),
  chooseFfmpeg: () => ipcRenderer.invoke(IPC.chooseFfmpeg),
  chooseRecordFile: () => ipcRenderer.invoke(IPC.chooseRecordFile),
  clearRecordFile: () => ipcRenderer.invoke(IPC.clearRecordFile),
  listWindows: () => ipcRenderer.invoke(IPC.listWindows),
  setPaused: (paused) => ipcRenderer.invoke(IPC.setPaused, paused),
  addPush: (url) => ipcRenderer.invoke(IPC.addPush, url),
  removePush: (id) => ipcRenderer.invoke(IPC.removePush, id),
  listAudioDevices: () => ipcRenderer.invoke(IPC.listAudioDevices),
  captureWay: () => ipcRenderer.invoke(IPC.captureWay),
  chooseAgain: () => ipcRenderer.invoke(IPC.chooseAgain),
  onState: (callback) =>
    subscribePush(ipcRenderer, IPC.pushState, ({ state, links }) => callback(state, links)),
  onViewers: (callback) => subscribePush(ipcRenderer, IPC.pushViewers, callback),
  onStats: (callback) => subscribePush(ipcRenderer, IPC.pushStats, callback),
  onScreens: (callback) => subscribePush(ipcRenderer, IPC.pushScreens, callback),
  onPaused: (callback) => subscribePush(ipcRenderer, IPC.pushPaused, callback),
  onNotice: (callback) => subscribePush(ipcRenderer, IPC.pushNotice, callback),
};

contextBridge.exposeInMainWorld('mkvcast', api);
