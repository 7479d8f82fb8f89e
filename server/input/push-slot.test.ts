import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PushSlot, type PushEvent, type Pusher } from './push-slot.js';

class FakePusher implements Pusher {
  dropped = false;
  constructor(readonly address: string) {}
  drop(): void {
    this.dropped = true;
  }
}

function setup(takeoverMs = 3000): {
  slot: PushSlot<FakePusher>;
  events: PushEvent[];
  clock: { ms: number };
  signal: AbortSignal;
} {
  const clock = { ms: 0 };
  const events: PushEvent[] = [];
  const slot = new PushSlot<FakePusher>(
    () => clock.ms,
    (event) => events.push(event),
    takeoverMs,
  );
  return { slot, events, clock, signal: new AbortController().signal };
}

describe('PushSlot', () => {
  it('hands the first pusher to the run waiting for it', async () => {
    const { slot, events, signal } = setup();
    const next = slot.next(signal);
    const a = new FakePusher('10.0.0.1');
    assert.deepEqual(slot.offer(a), { accepted: true });
    assert.equal(await next, a);
    assert.deepEqual(events, [{ kind: 'connected', address: '10.0.0.1' }]);
  });

  it('refuses a second pusher while the first delivers clusters, saying when it could take over', async () => {
    const { slot, events, clock, signal } = setup();
    const a = new FakePusher('10.0.0.1');
    slot.offer(a);
    await slot.next(signal);
    for (let ms = 0; ms <= 10_000; ms += 1000) {
      clock.ms = ms;
      slot.cluster(a);
    }
    clock.ms = 10_500;
    const b = new FakePusher('10.0.0.2');
    assert.deepEqual(slot.offer(b), {
      accepted: false,
      activeAddress: '10.0.0.1',
      takeoverInMs: 2500,
      takeoverMs: 3000,
    });
    assert.equal(a.dropped, false);
    assert.deepEqual(events.at(-1), {
      kind: 'refused',
      address: '10.0.0.2',
      activeAddress: '10.0.0.1',
      takeoverInMs: 2500,
      alsoRefused: 0,
    });
  });

  it('tells one refusal in 5 s, with how many more there were, however fast they come', async () => {
    const { slot, events, clock, signal } = setup();
    const a = new FakePusher('a');
    slot.offer(a);
    await slot.next(signal);
    for (let i = 0; i < 100; i += 1) {
      clock.ms = i * 10;
      slot.cluster(a);
      assert.equal(slot.offer(new FakePusher(`knock ${i}`)).accepted, false, 'every one is refused');
    }
    assert.deepEqual(
      events.filter((e) => e.kind === 'refused').map((e) => e.address),
      ['knock 0'],
    );
    clock.ms = 5000;
    slot.cluster(a);
    slot.offer(new FakePusher('later'));
    assert.deepEqual(events.at(-1), {
      kind: 'refused',
      address: 'later',
      activeAddress: 'a',
      takeoverInMs: 3000,
      alsoRefused: 99,
    });
  });

  it('a pusher trickling one byte every 1.5 s (no complete cluster) is taken over after 3 s', async () => {
    const { slot, events, clock, signal } = setup();
    const trickler = new FakePusher('10.0.0.66');
    slot.offer(trickler);
    await slot.next(signal);
    // Bytes arrive, but they never complete a cluster: cluster() is never called.
    clock.ms = 1500;
    const early = new FakePusher('10.0.0.2');
    assert.equal(slot.offer(early).accepted, false, 'refused while the trickler is within its 3 s');
    clock.ms = 3000;
    const honest = new FakePusher('10.0.0.3');
    assert.deepEqual(slot.offer(honest), { accepted: true });
    assert.equal(trickler.dropped, true, "the trickler's connection is closed");
    assert.equal(slot.replaced(trickler), true);
    assert.deepEqual(events.at(-1), {
      kind: 'taken-over',
      address: '10.0.0.66',
      by: '10.0.0.3',
      silentMs: 3000,
    });
    slot.release(trickler);
    assert.equal(await slot.next(signal), honest, 'the next run reads the newcomer');
    const third = new FakePusher('10.0.0.4');
    assert.equal(slot.offer(third).accepted, false, 'the newcomer has its own 3 s');
  });

  it('a pusher whose last cluster is older than the takeover time can be replaced', async () => {
    const { slot, clock, signal } = setup();
    const a = new FakePusher('a');
    slot.offer(a);
    await slot.next(signal);
    clock.ms = 1000;
    slot.cluster(a);
    clock.ms = 3999;
    assert.equal(slot.offer(new FakePusher('b')).accepted, false);
    clock.ms = 4000;
    assert.equal(slot.offer(new FakePusher('c')).accepted, true);
    assert.equal(slot.offer(new FakePusher('d')).accepted, false, 'one successor at a time');
  });

  it('says when a pusher leaves and when one comes back, with the time away', async () => {
    const { slot, events, clock, signal } = setup();
    const a = new FakePusher('a');
    slot.offer(a);
    await slot.next(signal);
    clock.ms = 5000;
    slot.release(a);
    clock.ms = 7500;
    const next = slot.next(signal);
    slot.offer(new FakePusher('a2'));
    await next;
    assert.deepEqual(events, [
      { kind: 'connected', address: 'a' },
      { kind: 'left', address: 'a' },
      { kind: 'came-back', address: 'a2', awayMs: 2500 },
    ]);
  });

  it('a pusher arriving between two runs is read by the next run; close() drops it and ends a wait', async () => {
    const { slot, signal } = setup();
    const a = new FakePusher('a');
    slot.offer(a);
    assert.equal(await slot.next(signal), a);
    slot.release(a);
    const b = new FakePusher('b');
    slot.offer(b);
    slot.close();
    assert.equal(b.dropped, true);
    const waiting = slot.next(signal);
    slot.close();
    assert.equal(await waiting, null);
    const aborted = new AbortController();
    const pending = slot.next(aborted.signal);
    aborted.abort();
    assert.equal(await pending, null);
  });
});
