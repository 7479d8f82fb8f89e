/**
 * Stands in for electron/preload.ts in a browser test: `window.mkvcast` in the page sends each request
 * by its channel (REQUEST_CHANNELS) to the main process's own handlers (registerIpc over an
 * AppController) in the test process, and the controller's events are pushed into the page.
 *
 * Both ways are marshalled as Electron does, so that the page sees what the app's window sees:
 * arguments and answers go through structured clone (a value Electron cannot send fails here too),
 * and an error a handler throws reaches the page as Electron flattens it, "Error invoking remote method
 * '<channel>': Error: <message>", without its code or fix.
 */
import type { Page } from 'playwright-core';
import type { IpcResult } from '../server/api.js';
import { APP_INDEX_URL } from '../electron/app-protocol.js';
import type { AppController } from '../electron/controller.js';
import { registerIpc, requestHandlers, type IpcSender } from '../electron/ipc.js';
import { REQUEST_CHANNELS } from '../electron/requests.js';

type Handler = (event: IpcSender, ...args: unknown[]) => Promise<IpcResult<unknown>>;

// Runs in the page before its own scripts (the CSP does not apply to it).
const SHIM = `(() => {
  const listeners = { state: new Set(), viewers: new Set(), stats: new Set(), screens: new Set(), paused: new Set(), notice: new Set() };
  const call = (channel) => (...args) => window.__mkvcastInvoke(channel, args);
  const subscribe = (channel) => (callback) => {
    listeners[channel].add(callback);
    return () => listeners[channel].delete(callback);
  };
  window.__mkvcastPush = (channel, args) => {
    for (const callback of listeners[channel]) callback(...args);
  };
  const api = {};
  for (const [name, channel] of Object.entries(${JSON.stringify(REQUEST_CHANNELS)})) api[name] = call(channel);
  Object.assign(api, {
    onState: subscribe('state'),
    onViewers: subscribe('viewers'),
    onStats: subscribe('stats'),
    onScreens: subscribe('screens'),
    onPaused: subscribe('paused'),
    onNotice: subscribe('notice'),
  });
  window.mkvcast = Object.freeze(api);
})();`;

/** ipcRenderer.invoke as Electron runs it: clone the arguments, run the handler, clone the answer, flatten a throw. */
export async function invokeAsElectron(handler: Handler, channel: string, args: unknown[]): Promise<unknown> {
  // Arguments that cannot be cloned fail in the window, before anything is sent.
  const sent = structuredClone(args);
  try {
    // The window's page is mkvcast://app/index.html in the app; the handlers check that sender.
    return structuredClone(await handler({ senderFrame: { url: APP_INDEX_URL } }, ...sent));
  } catch (error) {
    throw new Error(`Error invoking remote method '${channel}': ${String(error)}`);
  }
}

/** The main process's handlers as registerIpc registers them on ipcMain, by channel. */
export function registeredHandlers(controller: AppController): Map<string, Handler> {
  const handlers = new Map<string, Handler>();
  registerIpc(
    { handle: (channel, handler) => void handlers.set(channel, handler) },
    APP_INDEX_URL,
    requestHandlers(controller),
  );
  return handlers;
}

/** Installs the shim in `page` (before it loads) and forwards the controller's events until the page closes. */
export async function bridgeController(page: Page, controller: AppController): Promise<void> {
  const handlers = registeredHandlers(controller);
  await page.exposeFunction('__mkvcastInvoke', (channel: string, args: unknown[]) => {
    const handler = handlers.get(channel);
    if (!handler)
      throw new Error(
        `Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`,
      );
    return invokeAsElectron(handler, channel, args);
  });
  await page.addInitScript({ content: SHIM });
  const push =
    (channel: string) =>
    (...args: unknown[]): void => {
      if (page.isClosed()) return;
      page
        .evaluate(
          `window.__mkvcastPush?.(${JSON.stringify(channel)}, ${JSON.stringify(structuredClone(args))})`,
        )
        .catch(() => {}); // the page navigated or closed: nothing is listening any more
    };
  const state = push('state');
  const viewers = push('viewers');
  const stats = push('stats');
  const notice = push('notice');
  controller.on('state', state);
  controller.on('viewers', viewers);
  controller.on('stats', stats);
  const paused = push('paused');
  controller.on('paused', paused);
  controller.on('notice', notice);
  page.once('close', () => {
    controller.off('paused', paused);
    controller.off('state', state);
    controller.off('viewers', viewers);
    controller.off('stats', stats);
    controller.off('notice', notice);
  });
}
