import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { IPC, type PushPayloads, type SessionStats } from '../server/api.js';
import { pushTo, subscribePush, type Push } from './push.js';

const STATS: SessionStats = {
  captureFps: 30,
  speed: 1,
  bitrateKbps: 2500,
  droppedFrames: 0,
  duplicatedFrames: 0,
  segmentsHeld: 3,
  uptimeSec: 12,
  restarts: 0,
};

/** Main's webContents and the preload's ipcRenderer, joined as Electron joins them (the event first). */
function wire(): { push: Push; ipc: EventEmitter; sent: unknown[][] } {
  const ipc = new EventEmitter();
  const sent: unknown[][] = [];
  const push = pushTo(() => ({
    send: (channel, ...args) => {
      sent.push([channel, ...args]);
      ipc.emit(channel, { sender: 'the IPC event' }, ...args);
    },
  }));
  return { push, ipc, sent };
}

describe('main → window pushes', () => {
  it('carry one payload each, and a subscriber gets it as main sent it, without the IPC event', () => {
    const { push, ipc, sent } = wire();
    const seen: PushPayloads[typeof IPC.pushState][] = [];
    const stats: SessionStats[] = [];
    const off = subscribePush(ipc, IPC.pushState, (payload) => seen.push(payload));
    subscribePush(ipc, IPC.pushStats, (payload) => stats.push(payload));
    push(IPC.pushState, { state: { kind: 'idle' }, links: [] });
    push(IPC.pushStats, STATS);
    off();
    push(IPC.pushState, { state: { kind: 'starting' }, links: [] });
    assert.deepEqual(seen, [{ state: { kind: 'idle' }, links: [] }], 'nothing after unsubscribing');
    assert.deepEqual(stats, [STATS]);
    assert.equal(sent.length, 3);
    assert.equal(ipc.listenerCount(IPC.pushState), 0);
  });

  it('are dropped while there is no window', () => {
    const push = pushTo(() => null);
    assert.doesNotThrow(() => push(IPC.pushViewers, []));
  });

  it('do not compile with a payload of another channel (checked by tsc on this file)', () => {
    const { push, ipc } = wire();
    // Each line below must stay a type error: were the map loosened, tsc would report an unused directive.
    const wrong = (): void => {
      // @ts-expect-error the state push carries { state, links }, not a bare state
      push(IPC.pushState, { kind: 'idle' });
      // @ts-expect-error the viewers push carries ViewerInfo[], not stats
      push(IPC.pushViewers, STATS);
      // @ts-expect-error a request channel is not a push
      push(IPC.start, {});
      // @ts-expect-error a subscriber to screens gets ScreenInfo[], not stats
      subscribePush(ipc, IPC.pushScreens, (stats: SessionStats) => stats.speed);
    };
    assert.equal(typeof wrong, 'function');
  });
});
