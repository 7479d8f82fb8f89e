import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { FrameRelay } from './frame-relay.js';

/** A sink that keeps what it was given and reports a queue length the test sets. */
class FakeSink {
  got: Buffer[] = [];
  queued = 0;
  destroyed = false;
  writable = true;
  get writableLength(): number {
    return this.queued;
  }
  write(chunk: Buffer): boolean {
    this.got.push(chunk);
    return true;
  }
  text(): string {
    return Buffer.concat(this.got).toString();
  }
  get asWritable(): Writable {
    return this as unknown as Writable;
  }
}

describe('FrameRelay', () => {
  it('hands whole frames to the sink, whatever the chunking', () => {
    const relay = new FrameRelay(4);
    const sink = new FakeSink();
    relay.attach(sink.asWritable);
    for (const part of ['aa', 'aabb', 'b', 'bcccc']) relay.push(Buffer.from(part));
    assert.equal(sink.text(), 'aaaabbbbcccc');
    assert.equal(relay.framesSent, 3);
  });

  it('a sink attached mid-frame starts at the next frame boundary', () => {
    const relay = new FrameRelay(4);
    relay.push(Buffer.from('aaaabb'));
    const sink = new FakeSink();
    relay.attach(sink.asWritable);
    relay.push(Buffer.from('bbccccdd'));
    assert.equal(sink.text(), 'ccccdd');
  });

  it('a new sink replaces the old one at a boundary, the old one gets nothing more', () => {
    const relay = new FrameRelay(2);
    const first = new FakeSink();
    const second = new FakeSink();
    relay.attach(first.asWritable);
    relay.push(Buffer.from('aab'));
    relay.detach(first.asWritable);
    relay.attach(second.asWritable);
    relay.push(Buffer.from('bcc'));
    assert.equal(first.text(), 'aab');
    assert.equal(second.text(), 'cc');
  });

  it('drops whole frames, never parts, while the sink has its queue full', () => {
    const relay = new FrameRelay(3, 2);
    const sink = new FakeSink();
    relay.attach(sink.asWritable);
    relay.push(Buffer.from('aaa'));
    sink.queued = 6;
    relay.push(Buffer.from('bb'));
    sink.queued = 0; // drained mid-frame: the rest of b still drops
    relay.push(Buffer.from('bccc'));
    assert.equal(sink.text(), 'aaaccc');
    assert.equal(relay.framesDropped, 1);
  });

  it('with no sink, frames pass by without error', () => {
    const relay = new FrameRelay(2);
    relay.push(Buffer.from('aabbc'));
    assert.equal(relay.framesSent, 0);
  });

  it("holds an earlier reader's last frame until the new reader sends, whole and never inside a frame", () => {
    const old = new FrameRelay(4);
    old.push(Buffer.from('aaaabb'));
    old.push(Buffer.from('bbcc'));
    assert.equal(Buffer.concat(old.lastFrame() ?? []).toString(), 'bbbb');

    const relay = new FrameRelay(4);
    relay.seed(new FrameRelay(3).lastFrame());
    relay.seed(old.lastFrame());
    const sink = new FakeSink();
    relay.attach(sink.asWritable);
    assert.equal(relay.repeatLast(), true);
    assert.equal(relay.repeatLast(), true);
    assert.equal(relay.started, false);
    relay.push(Buffer.from('dd'));
    assert.equal(relay.started, true);
    assert.equal(relay.repeatLast(), false, 'not inside a frame of the reader');
    relay.push(Buffer.from('dd'));
    assert.equal(sink.text(), 'bbbbbbbbdddd');
    sink.queued = 8;
    assert.equal(relay.repeatLast(), false, 'not while the encoder lags');
    assert.equal(new FrameRelay(4).repeatLast(), false, 'nothing to repeat');
  });
});
