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
});
