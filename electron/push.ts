/**
 * The main → window pushes, typed by PushPayloads (server/api.ts) at both ends: main sends with
 * pushTo(), the preload listens with subscribePush(). Each push is one payload on its channel.
 */
import type { PushChannel, PushPayloads } from '../server/api.js';

/** Where main's pushes go: the window's webContents. */
export interface PushTarget {
  send(channel: string, ...args: unknown[]): void;
}

/** Sends one push; its payload's type follows from the channel. */
export type Push = <C extends PushChannel>(channel: C, payload: PushPayloads[C]) => void;

/** A sender to whatever `target()` answers now; nothing is sent while there is no window. */
export function pushTo(target: () => PushTarget | null): Push {
  return (channel, payload) => target()?.send(channel, payload);
}

/** What subscribePush needs of the preload's ipcRenderer. */
export interface PushSource {
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  off(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/**
 * Listens to one push in the preload; the callback gets the payload without the IPC event. The payload
 * is trusted to be PushPayloads[C]: only main sends on these channels, through a Push.
 */
export function subscribePush<C extends PushChannel>(
  ipc: PushSource,
  channel: C,
  callback: (payload: PushPayloads[C]) => void,
): () => void {
  const listener = (_event: unknown, payload: unknown): void => callback(payload as PushPayloads[C]);
  ipc.on(channel, listener);
  return () => {
    ipc.off(channel, listener);
  };
}
