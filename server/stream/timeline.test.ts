import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Timeline } from './timeline.js';
import { makeCluster, makeHeader } from '../../support/stream-clusters.js';

describe('Timeline', () => {
  it('keeps the input timestamps on the first run', () => {
    const timeline = new Timeline();
    assert.equal(timeline.onHeader(makeHeader()), 'first');
    const placed = [1000, 1040, 1080].map((ts) => timeline.place(makeCluster(ts, ts === 1000), 0));
    assert.deepEqual(
      placed.map((p) => p.ts),
      [1000, 1040, 1080],
    );
    assert.deepEqual(
      placed.map((p) => p.gapBefore),
      [0, 40, 40],
    );
  });

  it('continues one frame gap after the previous run when the input starts again with the same tracks', () => {
    const timeline = new Timeline();
    timeline.onHeader(makeHeader());
    for (const ts of [0, 40, 80]) timeline.place(makeCluster(ts, ts === 0), 0);
    assert.equal(timeline.onHeader(makeHeader()), 'splice');
    const next = timeline.place(makeCluster(0, true), 0);
    assert.equal(next.ts, 120);
    assert.equal(next.gapBefore, 40);
  });

  it('says restart when the tracks change, and starts the new timeline from the input', () => {
    const timeline = new Timeline();
    timeline.onHeader(makeHeader());
    timeline.place(makeCluster(5000, true), 0);
    const other = makeHeader();
    other.tracks = [{ number: 1, kind: 'video', codecId: 'V_VP9', codec: 'vp9', width: 640, height: 480 }];
    assert.equal(timeline.onHeader(other), 'restart');
    assert.equal(timeline.place(makeCluster(10, true), 0).ts, 10);
  });

  it('never goes back in time', () => {
    const timeline = new Timeline();
    timeline.onHeader(makeHeader());
    timeline.place(makeCluster(100, true), 0);
    assert.equal(timeline.place(makeCluster(90, false), 0).ts, 100);
  });

  it('converts to milliseconds with the header timestamp scale', () => {
    const timeline = new Timeline();
    const header = makeHeader();
    header.timestampScaleNs = 100_000; // 0.1 ms units
    timeline.onHeader(header);
    assert.equal(timeline.place(makeCluster(12345, true), 0).tsMs, 1234.5);
  });
});
