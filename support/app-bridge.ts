/**
 * Stands in for electron/preload.ts in a browser test: `window.mkvcast` in the page calls an
 * AppController in the test process (page.exposeFunction), and the controller's events are pushed
 * into the page (page.evaluate), as the preload's ipcRenderer listeners would.
 */
import type { Page } from 'playwright-core';
import type { MkvcastApi } from '../server/api.js';
import type { AppController } from '../electron/controller.js';

type Request = Exclude<keyof MkvcastApi, `on${string}`>;

const REQUESTS: readonly Request[] = [
  'listScreens',
  'getSettings',
  'saveSettings',
  'start',
  'stop',
  'kick',
  'copyLink',
  'newToken',
  'getState',
  'screenAccess',
  'openScreenAccessSettings',
  'chooseFfmpeg',
];

// Runs in the page before its own scripts (the CSP does not apply to it).
const SHIM = `(() => {
  const listeners = { state: new Set(), viewers: new Set(), stats: new Set(), screens: new Set() };
  const call = (name) => (...args) => window.__mkvcastCall(name, args);
  const subscribe = (channel) => (callback) => {
    listeners[channel].add(callback);
    return () => listeners[channel].delete(callback);
  };
  window.__mkvcastPush = (channel, args) => {
    for (const callback of listeners[channel]) callback(...args);
  };
  const api = {};
  for (const name of ${JSON.stringify(REQUESTS)}) api[name] = call(name);
  Object.assign(api, {
    onState: subscribe('state'),
    onViewers: subscribe('viewers'),
    onStats: subscribe('stats'),
    onScreens: subscribe('screens'),
  });
  window.mkvcast = Object.freeze(api);
})();`;

/** Calls the controller as the main process's IPC handlers do. */
async function dispatch(controller: AppController, name: string, args: unknown[]): Promise<unknown> {
  switch (name as Request) {
    case 'listScreens':
      return controller.listScreens();
    case 'getSettings':
      return controller.getSettings();
    case 'saveSettings':
      return controller.saveSettings(args[0]);
    case 'start':
      return controller.start();
    case 'stop':
      return controller.stop();
    case 'kick':
      return controller.kick(String(args[0]));
    case 'copyLink':
      return controller.copyLink(String(args[0]));
    case 'newToken':
      return controller.newToken();
    case 'getState':
      return controller.getState();
    case 'screenAccess':
      return controller.screenAccess();
    case 'openScreenAccessSettings':
      return controller.openScreenAccessSettings();
    case 'chooseFfmpeg':
      return controller.chooseFfmpeg();
  }
  throw new Error(`unknown request ${name}`);
}

/** Installs the shim in `page` (before it loads) and forwards the controller's events until the page closes. */
export async function bridgeController(page: Page, controller: AppController): Promise<void> {
  await page.exposeFunction('__mkvcastCall', (name: string, args: unknown[]) =>
    dispatch(controller, name, args),
  );
  await page.addInitScript({ content: SHIM });
  const push =
    (channel: string) =>
    (...args: unknown[]): void => {
      if (page.isClosed()) return;
      page
        .evaluate(`window.__mkvcastPush?.(${JSON.stringify(channel)}, ${JSON.stringify(args)})`)
        .catch(() => {}); // the page navigated or closed: nothing is listening any more
    };
  const state = push('state');
  const viewers = push('viewers');
  const stats = push('stats');
  controller.on('state', state);
  controller.on('viewers', viewers);
  controller.on('stats', stats);
  page.once('close', () => {
    controller.off('state', state);
    controller.off('viewers', viewers);
    controller.off('stats', stats);
  });
}
