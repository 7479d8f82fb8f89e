import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import {
  cluster,
  ebmlHead,
  H264_TRACK,
  info,
  liveSegmentStart,
  simpleBlock,
  timestamp,
  tracks,
} from '../../support/ebml-builders.js';
import { PushSource, type Push } from './push-source.js';
import type { PushEvent } from './push-slot.js';

class TestPushSource extends PushSource {
  readonly description = 'test pushes';
}

function push(address: string): Push & { stream: PassThrough; dropped: boolean } {
  const stream = new PassThrough();
  const pusher = {
    address,
    stream,
    dropped: false,
    drop() {
      pusher.dropped = true;
      stream.destroy();
    },
    finish() {},
  };
  return pusher;
}

const HEADER = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), tracks(H264_TRACK)]);
const frame = (ts: number): Buffer =>
  cluster(ts, timestamp(ts), simpleBlock(1, 0, true, Buffer.alloc(600, ts & 0xff)));

/** A source whose clock the test moves, and the events it gave. */
function setup(): { source: TestPushSource; clock: { ms: number }; events: PushEvent[] } {
  const clock = { ms: 0 };
  const events: PushEvent[] = [];
  const source = new TestPushSource({
    ffmpeg: () => assert.fail('Matroska pushes need no ffmpeg'),
    now: () => clock.ms,
    onPushEvent: (event) => events.push(event),
  });
  return { source, clock, events };
}

describe('PushSource', () => {
  it('a pusher that keeps sending bytes without completing a cluster is taken over', async () => {
    const { source, clock, events } = setup();
    const signal = new AbortController().signal;
    const holder = push('10.0.0.1');
    assert.equal(source.offer(holder).accepted, true);
    const run = source.open(signal);
    holder.stream.write(Buffer.concat([HEADER, frame(0)]));
    assert.ok(!(await run.next()).done);
    // Bytes keep coming until 2.9 s, but they are the first part of a cluster that never ends.
    const endless = frame(40);
    for (const [ms, from, to] of [
      [1000, 0, 200],
      [2000, 200, 400],
      [2900, 400, 600],
    ]) {
      clock.ms = ms;
      holder.stream.write(endless.subarray(from, to));
      assert.ok(!(await run.next()).done);
    }
    clock.ms = 3000;
    const newcomer = push('10.0.0.2');
    assert.equal(source.offer(newcomer).accepted, true, 'no complete cluster for 3 s: taken over');
    assert.equal(holder.dropped, true);
    assert.equal((await run.next()).done, true, "the holder's run ends without an error");
    assert.deepEqual(
      events.map((e) => e.kind),
      ['connected', 'taken-over', 'left'],
    );
    const nextRun = source.open(signal);
    newcomer.stream.write(Buffer.concat([HEADER, frame(0)]));
    assert.ok(!(await nextRun.next()).done, 'the next run reads the newcomer');
    assert.equal(source.lastPusherAddress, '10.0.0.2');
    await nextRun.return(undefined);
    await source.close();
  });

  it('a pusher that completes clusters keeps its place, and the newcomer is told when to retry', async () => {
    const { source, clock } = setup();
    const signal = new AbortController().signal;
    const holder = push('10.0.0.1');
    source.offer(holder);
    const run = source.open(signal);
    holder.stream.write(Buffer.concat([HEADER, frame(0)]));
    await run.next();
    clock.ms = 2500;
    holder.stream.write(frame(2500));
    await run.next();
    clock.ms = 3500;
    const offer = source.offer(push('10.0.0.2'));
    assert.deepEqual(offer, {
      accepted: false,
      activeAddress: '10.0.0.1',
      takeoverInMs: 2000,
      takeoverMs: 3000,
    });
    assert.equal(holder.dropped, false);
    await run.return(undefined);
    await source.close();
  });
});
