import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { Publisher } from './publisher.js';
import { liveClusters, makeHeader, parseClusters } from '../../support/stream-clusters.js';
import { DEFAULT_VIEWER_POLICY } from './viewer.js';

function collect(stream: PassThrough): () => Buffer {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks);
}

const meta = (id: string) => ({ id, address: '127.0.0.1', client: 'test', userAgent: 'test' });
const headerLength = makeHeader().bytes.length;

describe('Publisher', () => {
  it('starts a new viewer at the latest keyframe, then sends every live cluster', () => {
    const publisher = new Publisher();
    publisher.setHeader(makeHeader(), 'first');
    const clusters = liveClusters(40, { gop: 10 });
    for (const cl of clusters.slice(0, 25)) publisher.publish(cl);
    const sink = new PassThrough();
    const received = collect(sink);
    publisher.addViewer(meta('a'), sink);
    for (const cl of clusters.slice(25)) publisher.publish(cl);
    const got = parseClusters(received(), headerLength);
    assert.equal(got.length, 20, 'clusters 20..39: from the keyframe at 20');
    assert.equal(got[0].keyframe, true);
    assert.equal(got[0].ts, 0);
  });

  it('fast start sends N earlier GOPs too', () => {
    const publisher = new Publisher({ fastStartSegments: 2 });
    publisher.setHeader(makeHeader(), 'first');
    for (const cl of liveClusters(45, { gop: 10 })) publisher.publish(cl);
    const sink = new PassThrough();
    const received = collect(sink);
    publisher.addViewer(meta('a'), sink);
    assert.equal(parseClusters(received(), headerLength).length, 25, 'GOPs at 20 and 30, plus 40..44');
  });

  it('a stalled viewer is skipped then dropped while the others receive everything', () => {
    let t = 0;
    const publisher = new Publisher({ now: () => t, policy: { ...DEFAULT_VIEWER_POLICY, maxLagMs: 400 } });
    publisher.setHeader(makeHeader(), 'first');
    const fast = new PassThrough();
    const received = collect(fast);
    const stalled = new PassThrough({ highWaterMark: 512 }); // nobody reads it
    publisher.addViewer(meta('fast'), fast);
    publisher.addViewer(meta('stalled'), stalled);
    const closed: string[] = [];
    publisher.on('viewer-closed', (m: { id: string }, reason: string) => closed.push(`${m.id}:${reason}`));
    const clusters = liveClusters(300, { gop: 10, payloadBytes: 200 });
    for (const cl of clusters) {
      t += 40;
      cl.arrivedMs = t;
      publisher.publish(cl);
    }
    assert.deepEqual(closed, ['stalled:stalled']);
    assert.equal(publisher.dropped, 1);
    assert.equal(parseClusters(received(), headerLength).length, 300);
    assert.deepEqual(
      publisher.viewerInfos().map((v) => v.id),
      ['fast'],
    );
  });

  it('a viewer that came before the header gets it, then starts at the first keyframe', () => {
    const publisher = new Publisher();
    const sink = new PassThrough();
    const received = collect(sink);
    publisher.addViewer(meta('early'), sink);
    publisher.setHeader(makeHeader(), 'first');
    for (const cl of liveClusters(12, { gop: 10 }).slice(5)) publisher.publish(cl);
    const got = parseClusters(received(), headerLength);
    assert.equal(got.length, 2);
    assert.equal(got[0].keyframe, true);
  });

  it('fps is video frames per second, not clusters: 15 clusters a second of 2 frames each is 30 fps', () => {
    let now = 0;
    const publisher = new Publisher({ now: () => now });
    publisher.setHeader(makeHeader(), 'first');
    for (const lc of liveClusters(60, { gapMs: 67 })) {
      now += 200 / 3;
      lc.arrivedMs = now;
      lc.cluster = { ...lc.cluster, videoFrames: 2 };
      publisher.publish(lc);
    }
    assert.equal(publisher.rates().fps, 30);
  });

  it('keeps memory bounded: the ring holds at most its byte cap', () => {
    const publisher = new Publisher({ maxRingBytes: 64 * 1024 });
    publisher.setHeader(makeHeader(), 'first');
    for (const cl of liveClusters(2000, { gop: 25, payloadBytes: 1000 })) publisher.publish(cl);
    assert.ok(publisher.segments().bytes <= 64 * 1024);
    assert.ok(publisher.segments().held >= 1);
  });

  it('end() ends every viewer cleanly; kick() drops one', async () => {
    const publisher = new Publisher();
    publisher.setHeader(makeHeader(), 'first');
    for (const cl of liveClusters(5)) publisher.publish(cl);
    const a = new PassThrough();
    const b = new PassThrough();
    collect(a);
    collect(b);
    publisher.addViewer(meta('a'), a);
    publisher.addViewer(meta('b'), b);
    assert.equal(publisher.kick('b'), true);
    assert.equal(b.destroyed, true);
    publisher.end();
    await new Promise((resolve) => a.once('finish', resolve));
    assert.equal(publisher.viewerCount, 0);
  });

  it('counts the viewers of each address, and forgets those that leave', () => {
    const publisher = new Publisher();
    const from = (id: string, address: string) => ({ ...meta(id), address });
    publisher.addViewer(from('a', '10.0.0.1'), new PassThrough());
    publisher.addViewer(from('b', '10.0.0.1'), new PassThrough());
    publisher.addViewer(from('c', '10.0.0.2'), new PassThrough());
    assert.equal(publisher.viewersFrom('10.0.0.1'), 2);
    assert.equal(publisher.viewersFrom('10.0.0.2'), 1);
    publisher.kick('a');
    publisher.kick('c');
    assert.equal(publisher.viewersFrom('10.0.0.1'), 1);
    assert.equal(publisher.viewersFrom('10.0.0.2'), 0);
    publisher.closeAll();
    assert.equal(publisher.viewersFrom('10.0.0.1'), 0);
  });
});

describe('Publisher outputs (a recording, a push)', () => {
  it('an output gets the stream as a viewer does but is no viewer; a header with other tracks ends it', () => {
    const publisher = new Publisher();
    publisher.setHeader(makeHeader(), 'first');
    const clusters = liveClusters(30, { gop: 10 });
    for (const cl of clusters.slice(0, 15)) publisher.publish(cl);
    const sink = new PassThrough();
    const received = collect(sink);
    const output = publisher.addOutput(meta('rec'), sink, DEFAULT_VIEWER_POLICY);
    for (const cl of clusters.slice(15)) publisher.publish(cl);
    const got = parseClusters(received(), headerLength);
    assert.equal(got.length, 20, 'clusters 10..29: from the keyframe at 10');
    assert.equal(got[0].ts, 0, 'its timestamps start at 0');
    assert.equal(publisher.viewerCount, 0, 'not counted as a viewer');
    assert.deepEqual(publisher.viewerInfos(), [], 'not listed');
    assert.equal(publisher.outputCount, 1);
    publisher.closeAll();
    assert.equal(output.isClosed, false, 'closeAll (viewers) leaves it to its owner');
    let reason = '';
    output.once('close', (r: string) => (reason = r));
    const bigger = makeHeader();
    bigger.tracks = bigger.tracks.map((t) => (t.kind === 'video' ? { ...t, width: 640, height: 480 } : t));
    publisher.setHeader(bigger, 'restart');
    assert.equal(reason, 'stream ended', 'new tracks end it cleanly');
    assert.equal(publisher.outputCount, 0);
  });

  it("an output attached before the first header starts with it; the input's end ends it", () => {
    const publisher = new Publisher();
    const sink = new PassThrough();
    const received = collect(sink);
    const output = publisher.addOutput(meta('push'), sink, DEFAULT_VIEWER_POLICY);
    publisher.setHeader(makeHeader(), 'first');
    for (const cl of liveClusters(10, { gop: 5 })) publisher.publish(cl);
    assert.equal(parseClusters(received(), headerLength).length, 10);
    publisher.end();
    assert.equal(output.isClosed, true);
  });
});
