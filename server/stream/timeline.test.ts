import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DISCONTINUITY_MS, MIN_ENTRY_OFFSET_MS, Timeline } from './timeline.js';
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

  it('keeps a small step back (audio after B-frames) and makes viewers start far enough from 0 to fit it', () => {
    const timeline = new Timeline();
    timeline.onHeader(makeHeader());
    // ffmpeg's live Matroska of H.264 with B-frames + AAC: 23, 123, 69, 93, 116, 162 ms.
    const placed = [23, 123, 69, 93, 116, 162].map((ts, i) => timeline.place(makeCluster(ts, i === 0), 0));
    assert.deepEqual(
      placed.map((p) => p.ts),
      [23, 123, 69, 93, 116, 162],
    );
    assert.equal(placed[0].entryOffset, MIN_ENTRY_OFFSET_MS);
    const far = [300, 1000, 400].map((ts) => timeline.place(makeCluster(ts, false), 0));
    assert.equal(far[2].entryOffset, 2 * 600, 'twice the largest step back when over the minimum');
  });

  it('converts to milliseconds with the header timestamp scale', () => {
    const timeline = new Timeline();
    const header = makeHeader();
    header.timestampScaleNs = 100_000; // 0.1 ms units
    timeline.onHeader(header);
    assert.equal(timeline.place(makeCluster(12345, true), 0).tsMs, 1234.5);
  });

  it('a cluster that jumps +2^40 ms is a discontinuity: it and the clusters after it go on one frame after the last', () => {
    const timeline = new Timeline();
    timeline.onHeader(makeHeader());
    const input = [0, 40, 80, 2 ** 40, 2 ** 40 + 40, 120, 160];
    // Only the parsed Timestamp matters here (the hand-built bytes hold 32 bits).
    const placed = input.map((ts, i) => timeline.place({ ...makeCluster(0, i === 0), timestamp: ts }, 0));
    assert.deepEqual(
      placed.map((p) => p.ts),
      [0, 40, 80, 120, 160, 200, 240],
    );
    assert.deepEqual(
      placed.map((p) => p.jumpMs),
      [undefined, undefined, undefined, 2 ** 40 - 80, undefined, 120 - (2 ** 40 + 40), undefined],
    );
  });

  it('a jump back past the threshold goes on one frame after the last instead of freezing at it', () => {
    const timeline = new Timeline();
    timeline.onHeader(makeHeader());
    const placed = [86_400_000, 86_400_040, 1000, 1040].map((ts, i) =>
      timeline.place(makeCluster(ts, i === 0), 0),
    );
    assert.deepEqual(
      placed.map((p) => p.ts),
      [86_400_000, 86_400_040, 86_400_080, 86_400_120],
    );
    assert.equal(placed[2].jumpMs, 1000 - 86_400_040);
    assert.equal(placed[2].gapBefore, 40);
  });

  it('a one-day gap in a file is one discontinuity; steps up to the threshold stay media time', () => {
    const timeline = new Timeline();
    timeline.onHeader(makeHeader());
    const day = 86_400_000;
    const input = [0, 40, 80, 80 + DISCONTINUITY_MS, 120 + DISCONTINUITY_MS, day, day + 40];
    const placed = input.map((ts, i) => timeline.place(makeCluster(ts, i === 0), 0));
    assert.deepEqual(
      placed.map((p) => p.ts),
      [
        0,
        40,
        80,
        80 + DISCONTINUITY_MS,
        120 + DISCONTINUITY_MS,
        160 + DISCONTINUITY_MS,
        200 + DISCONTINUITY_MS,
      ],
    );
    assert.deepEqual(
      placed.flatMap((p) => (p.jumpMs === undefined ? [] : [p.jumpMs])),
      [day - 120 - DISCONTINUITY_MS],
    );
  });

  it('a splice continues after the last block of the previous run, not its last cluster Timestamp', () => {
    const timeline = new Timeline();
    timeline.onHeader(makeHeader());
    timeline.place(makeCluster(0, true), 0);
    // ffmpeg's 40 ms clusters: audio blocks (or more frames) up to 60 ms after the Timestamp.
    timeline.place({ ...makeCluster(40, false), lastBlockOffset: 60 }, 0);
    timeline.onHeader(makeHeader());
    const next = timeline.place(makeCluster(0, true), 0);
    assert.equal(next.ts, 40 + 60 + 40);
  });
});
