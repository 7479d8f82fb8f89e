import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RtpPacer, type PacerOptions } from './pacer.js';
import type { RtpOut } from './rtp-timeline.js';

const OPTIONS: PacerOptions = {
  rateBytesPerSec: 1_000_000,
  burstBytes: 10_000,
  maxLagMs: 500,
  maxQueueBytes: 100_000,
};
const packets = (count: number, size = 1000): RtpOut[] =>
  Array.from({ length: count }, (_, i) => ({
    kind: 'video',
    payload: Buffer.alloc(size),
    timestamp: i,
    marker: false,
  }));

describe('RtpPacer (the clock is given)', () => {
  it('lets a burst out at once, then the rest at its rate, in order', () => {
    const pacer = new RtpPacer(OPTIONS, 0);
    assert.equal(pacer.add(packets(50), 0), true);
    const first = pacer.take(0);
    assert.equal(first.length, 10, 'the burst: 10 kB');
    assert.equal(pacer.waitMs(), 1);
    assert.equal(pacer.take(5).length, 5, '5 ms at 1 MB/s: 5 kB');
    assert.equal(pacer.lagMs(5), 5);
    for (const atMs of [15, 25, 35]) assert.equal(pacer.take(atMs).length, 10, 'at most a burst at a time');
    assert.equal(pacer.take(40).length, 5);
    assert.equal(pacer.waitMs(), null);
    assert.equal(pacer.bytes, 0);
    assert.equal(pacer.lagMs(40), 0);
  });

  it('an idle pacer saves up one burst, no more', () => {
    const pacer = new RtpPacer(OPTIONS, 0);
    pacer.add(packets(30), 10_000);
    assert.equal(pacer.take(10_000).length, 10);
  });

  it('a viewer that falls behind (the queue older than maxLagMs) is emptied and counts a skip', () => {
    const pacer = new RtpPacer({ ...OPTIONS, rateBytesPerSec: 10_000 }, 0);
    assert.equal(pacer.add(packets(20), 0), true);
    pacer.take(0);
    assert.equal(pacer.add(packets(1), 400), true);
    assert.equal(pacer.lagMs(400), 400);
    assert.equal(pacer.add(packets(1), 600), false, 'the oldest waited 600 ms');
    assert.equal(pacer.skips, 1);
    assert.equal(pacer.bytes, 0);
    assert.equal(pacer.take(601).length, 0);
    assert.equal(pacer.waitMs(), null);
  });

  it('a queue over maxQueueBytes is emptied at once', () => {
    const pacer = new RtpPacer(OPTIONS, 0);
    assert.equal(pacer.add(packets(101), 0), false);
    assert.equal(pacer.skips, 1);
    assert.equal(pacer.add(packets(5), 1), true);
    assert.equal(pacer.take(1).length, 5);
  });

  it('two pacers do not share a budget: one slow viewer never delays another', () => {
    const slow = new RtpPacer(OPTIONS, 0);
    const fast = new RtpPacer(OPTIONS, 0);
    slow.add(packets(100), 0);
    slow.take(0);
    fast.add(packets(5), 0);
    assert.equal(fast.take(0).length, 5);
  });
});
