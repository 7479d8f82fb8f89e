/**
 * The window's only door to the app: one object, `window.mkvcast`, typed by MkvcastApi. It exposes
 * named calls, never ipcRenderer itself. Sandboxed preloads cannot import local files, so this file is
 * bundled (esbuild, see `build:preload`) with the channel names from server/api.ts into preload.cjs.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  IPC,
  type MkvcastApi,
  type ScreenInfo,
  type SessionState,
  type SessionStats,
  type ShareLinkInfo,
  type ViewerInfo,
} from '../server/api.js';

function subscribe<A extends unknown[]>(channel: string, callback: (...args: A) => void): () => void {
  const listener = (_event: IpcRendererEvent, ...args: unknown[]): void => callback(...(args as A));
  ipcRenderer.on(channel, listener);
  return () => {
    ipcRenderer.off(channel, listener);
  };
}

const api: MkvcastApi = {
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
  onState: (callback) =>
    subscribe<[SessionState, ShareLinkInfo[]]>(IPC.pushState, (state, links) => callback(state, links)),
  onViewers: (callback) => subscribe<[ViewerInfo[]]>(IPC.pushViewers, (viewers) => callback(viewers)),
  onStats: (callback) => subscribe<[SessionStats]>(IPC.pushStats, (stats) => callback(stats)),
  onScreens: (callback) => subscribe<[ScreenInfo[]]>(IPC.pushScreens, (screens) => callback(screens)),
};

contextBridge.exposeInMainWorld('mkvcast', api);
