import type { MkvcastApi } from '../../server/api.js';

declare global {
  interface Window {
    /** Exposed by the preload (electron/preload.ts), or by the test shim. */
    mkvcast: MkvcastApi;
  }
}

/** The only way the window talks to the rest of the app. */
export function api(): MkvcastApi {
  return window.mkvcast;
}
