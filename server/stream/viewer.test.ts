import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { liveClusters, makeHeader, parseClusters } from '../../support/stream-clusters.js';
import { DEFAULT_VIEWER_POLICY, Viewer, type ViewerCloseReason } from './viewer.js';

/** A socket stand-in that keeps what it receives and reads only while `reading` is true. */
class FakeSocket extends Writable {
  readonly chunks: Buffer[] = [];
  reading = true;
  /** Set when the viewer hung up with a reset (net.Socket's resetAndDestroy) rather than a FIN. */
  reset = false;
  private held: (() => void)[] = [];
  constructor(highWaterMark = 1024) {
    super({ highWaterMark });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk);
    if (this.reading) done();
    else this.held.push(done);
  }
  resume(): void {
    this.reading = true;
    for (const done of this.held.splice(0)) done();
  }
  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }
  resetAndDestroy(): this {
    this.reset = true;
    return this.destroy();
  }
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const meta = { id: 'v1', address: '127.0.0.1', client: 'test', userAgent: 'test' };

describe('Viewer', () => {
  it('starts with the header, then its first keyframe at timestamp 0 (hand-built clusters carry no entry offset)', () => {
    const c = clock();
    const sink = new FakeSocket(1 << 20);
    const viewer = new Viewer(meta, sink, DEFAULT_VIEWER_POLICY, c.now);
    const header = makeHeader().bytes;
    const clusters = liveClusters(25, { gop: 10 });
    viewer.start(header, clusters.slice(10, 13));
    for (const cl of clusters.slice(13)) viewer.push(cl);
    const got = parseClusters(sink.received, header.length);
    assert.equal(got.length, 15);
    assert.equal(got[0].ts, 0);
    assert.equal(got[0].keyframe, true);
    assert.deepEqual(
      got.map((g) => g.ts),
      got.map((_, i) => i * 40),
    );
  });

  it('drops clusters until a keyframe when it joins between keyframes', () => {
    const sink = new FakeSocket(1 << 20);
    const viewer = new Viewer(meta, sink, DEFAULT_VIEWER_POLICY, clock().now);
    viewer.start(makeHeader().bytes, []);
    for (const cl of liveClusters(15, { gop: 10 }).slice(3)) viewer.push(cl);
    const got = parseClusters(sink.received, makeHeader().bytes.length);
    assert.equal(got.length, 5);
    assert.equal(got[0].keyframe, true);
    assert.equal(got[0].ts, 0);
  });

  it('writes the shared cluster body, never a copy', () => {
    const sink = new FakeSocket(1 << 20);
    const viewer = new Viewer(meta, sink, DEFAULT_VIEWER_POLICY, clock().now);
    const clusters = liveClusters(3);
    viewer.start(makeHeader().bytes, clusters);
    const bodies = sink.chunks.filter((chunk) => clusters.some((cl) => cl.body === chunk));
    assert.equal(bodies.length, 3);
  });

  it('a viewer that stops reading skips to the next keyframe, continuously, then is dropped as stalled', () => {
    const c = clock();
    const sink = new FakeSocket(256);
    const policy = { ...DEFAULT_VIEWER_POLICY, maxLagMs: 500, maxStalledSkips: 3 };
    const viewer = new Viewer(meta, sink, policy, c.now);
    let closedWith: ViewerCloseReason | null = null;
    viewer.on('close', (reason: ViewerCloseReason) => (closedWith = reason));
    const clusters = liveClusters(200, { gop: 10 });
    viewer.start(makeHeader().bytes, [clusters[0]]);
    sink.reading = false;
    let i = 1;
    while (viewer.info().skips < 1 && i < clusters.length) {
      c.advance(40);
      viewer.push(clusters[i++]);
    }
    assert.equal(viewer.info().skips, 1, 'skipped once the lag passed the limit');
    assert.equal(closedWith, null);
    // It reads again: the stream continues from a keyframe, timestamps without a jump.
    sink.resume();
    for (let j = 0; j < 20; j++, i++) {
      c.advance(40);
      viewer.push(clusters[i]);
    }
    const got = parseClusters(sink.received, makeHeader().bytes.length);
    for (let k = 1; k < got.length; k++) assert.equal(got[k].ts - got[k - 1].ts, 40, `gap at cluster ${k}`);
    // Now it stops for good: skip, skip, skip, dropped.
    sink.reading = false;
    while (closedWith === null && i < clusters.length) {
      c.advance(40);
      viewer.push(clusters[i++]);
    }
    assert.equal(closedWith, 'stalled');
    assert.ok(viewer.info().skips >= 3);
  });

  it('after a skip the next keyframe comes after the last block written, not just the last cluster Timestamp', () => {
    const c = clock();
    const sink = new FakeSocket(256);
    const viewer = new Viewer(meta, sink, { ...DEFAULT_VIEWER_POLICY, maxLagMs: 500 }, c.now);
    // Each cluster's blocks run 30 ms past its Timestamp (audio after the video, two frames in one cluster).
    const clusters = liveClusters(60, { gop: 10 });
    for (const lc of clusters) lc.cluster = { ...lc.cluster, lastBlockOffset: 30 };
    viewer.start(makeHeader().bytes, [clusters[0]]);
    sink.reading = false;
    let i = 1;
    while (viewer.info().skips < 1 && i < clusters.length) {
      c.advance(40);
      viewer.push(clusters[i++]);
    }
    assert.equal(viewer.info().skips, 1);
    sink.resume();
    for (; i < 40; i++) viewer.push(clusters[i]);
    const got = parseClusters(sink.received, makeHeader().bytes.length);
    const jump = got.findIndex((g, k) => k > 0 && g.ts - got[k - 1].ts !== 40);
    assert.ok(jump > 0, 'a skip happened');
    assert.equal(got[jump].keyframe, true);
    assert.equal(got[jump].ts - got[jump - 1].ts, 30 + 40, 'one cluster gap after the last block');
  });

  it('lag is how long the oldest queued cluster has waited', async () => {
    const c = clock();
    const sink = new FakeSocket(16);
    const viewer = new Viewer(meta, sink, DEFAULT_VIEWER_POLICY, c.now);
    sink.reading = false;
    const clusters = liveClusters(5);
    viewer.start(makeHeader().bytes, []);
    for (const cl of clusters) viewer.push(cl);
    assert.equal(viewer.info().lagMs, 0, 'just queued');
    c.advance(300);
    assert.equal(viewer.info().lagMs, 300);
    sink.resume();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(viewer.info().lagMs, 0);
  });

  it('end() lets the queue drain, then ends the stream cleanly', async () => {
    const sink = new FakeSocket(16);
    const viewer = new Viewer(meta, sink, DEFAULT_VIEWER_POLICY, clock().now);
    sink.reading = false;
    viewer.start(makeHeader().bytes, liveClusters(5));
    viewer.end();
    assert.equal(sink.writableEnded, false);
    sink.resume();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(sink.writableEnded, true);
    assert.equal(parseClusters(sink.received, makeHeader().bytes.length).length, 5);
  });
});

describe('Viewer that reads nothing', () => {
  const policy = { ...DEFAULT_VIEWER_POLICY, maxUnreadMs: 3000 };

  it('is dropped as stalled, with a reset, once its socket has taken nothing for maxUnreadMs', () => {
    const c = clock();
    const sink = new FakeSocket(256);
    sink.reading = false;
    const viewer = new Viewer(meta, sink, policy, c.now);
    let closedWith: ViewerCloseReason | null = null;
    viewer.on('close', (reason: ViewerCloseReason) => (closedWith = reason));
    // A GOP of 100 clusters, so the lag rule never finds a keyframe to skip to.
    const clusters = liveClusters(200, { gop: 100 });
    viewer.start(makeHeader().bytes, [clusters[0]]);
    let i = 1;
    for (; i < clusters.length && closedWith === null; i++) {
      c.advance(40);
      viewer.push(clusters[i]);
    }
    assert.equal(closedWith, 'stalled');
    assert.equal(sink.reset, true, 'reset, so the kernel lets go of the unsent bytes');
    const blockedMs = (i - 1) * 40;
    assert.ok(blockedMs > 3000 && blockedMs <= 3080, `dropped after ${blockedMs} ms without a byte taken`);
  });

  it('is kept while its socket takes bytes now and then, however slowly', async () => {
    const c = clock();
    const sink = new FakeSocket(256);
    const viewer = new Viewer(meta, sink, { ...policy, maxLagMs: 60_000, maxQueueBytes: 1 << 30 }, c.now);
    const clusters = liveClusters(400, { gop: 10 });
    viewer.start(makeHeader().bytes, [clusters[0]]);
    sink.reading = false;
    for (let i = 1; i < clusters.length; i++) {
      c.advance(40);
      viewer.push(clusters[i]);
      // It reads for a moment every 2 s: a slow reader, not a dead one.
      if (i % 50 === 0) {
        sink.resume();
        await new Promise((resolve) => setImmediate(resolve));
        sink.reading = false;
      }
    }
    assert.equal(viewer.isClosed, false);
  });

  it('a kicked viewer is reset; one whose client hung up is only destroyed', () => {
    const kicked = new FakeSocket();
    new Viewer(meta, kicked, policy, clock().now).close('kicked');
    assert.equal(kicked.reset, true);
    const left = new FakeSocket();
    new Viewer(meta, left, policy, clock().now).close('client closed');
    assert.equal(left.reset, false);
    assert.equal(left.destroyed, true);
  });
});

describe('Viewer with chunked framing', () => {
  it('frames the header and each cluster as a chunk and ends with the last chunk', async () => {
    const sink = new FakeSocket(1 << 20);
    const viewer = new Viewer(meta, sink, DEFAULT_VIEWER_POLICY, clock().now, 'chunked');
    const header = makeHeader().bytes;
    viewer.start(header, liveClusters(3));
    viewer.end();
    await new Promise((resolve) => setImmediate(resolve));
    const wire = sink.received.toString('latin1');
    assert.ok(wire.startsWith(`${header.length.toString(16)}\r\n${header.toString('latin1')}\r\n`));
    assert.ok(wire.endsWith('\r\n0\r\n\r\n'));
    // Un-frame and read the clusters back.
    const data: Buffer[] = [];
    let at = 0;
    const bytes = sink.received;
    for (;;) {
      const lineEnd = bytes.indexOf('\r\n', at, 'latin1');
      const size = parseInt(bytes.toString('latin1', at, lineEnd), 16);
      if (size === 0) break;
      data.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 4 + size;
    }
    assert.deepEqual(
      parseClusters(Buffer.concat(data), header.length).map((c) => c.ts),
      [0, 40, 80],
    );
  });
});
