import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pacer } from './pacer.js';

describe('Pacer', () => {
  it('lets the first lead of media through at once, then paces in real time', () => {
    let now = 0;
    const pacer = new Pacer(3000, () => now);
    for (let ts = 0; ts <= 3000; ts += 100) assert.equal(pacer.delayMs(ts), 0, `ts ${ts} is in the lead`);
    assert.equal(pacer.delayMs(4000), 1000);
    now = 1000;
    assert.equal(pacer.delayMs(4000), 0);
    assert.equal(pacer.delayMs(4500), 500);
  });

  it('a source that fell behind is not made to burst: the schedule moves', () => {
    let now = 0;
    const pacer = new Pacer(1000, () => now);
    pacer.delayMs(0);
    now = 10_000; // the source stalled for 10 s
    assert.equal(pacer.delayMs(2000), 0);
    // From here on real time again, relative to the new origin, with no second lead.
    assert.equal(pacer.delayMs(3000), 1000);
    assert.equal(pacer.delayMs(5000), 3000);
  });

  it('never sleeps longer than maxWaitMs: a one-day gap in the timestamps is published at once', () => {
    let now = 0;
    const pacer = new Pacer(1000, () => now);
    for (let ts = 0; ts <= 2000; ts += 40) {
      const waitMs = pacer.delayMs(ts);
      assert.ok(waitMs <= pacer.maxWaitMs, `waits ${waitMs} ms for ${ts}`);
      now += waitMs;
    }
    const day = 86_400_000;
    assert.equal(pacer.delayMs(day), 0);
    // Real time again from the cluster after the gap.
    assert.equal(pacer.delayMs(day + 40), 40);
    now += 40;
    assert.equal(pacer.delayMs(day + 80), 40);
  });

  it('a jump just past maxWaitMs is not slept either, one just under it is', () => {
    let now = 0;
    const pacer = new Pacer(0, () => now, 1000, 3000);
    pacer.delayMs(0);
    assert.equal(pacer.delayMs(2999), 2999);
    now = 2999;
    assert.equal(pacer.delayMs(2999 + 3001), 0);
  });
});
