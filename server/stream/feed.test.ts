import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import {
  cluster,
  ebmlHead,
  H264_TRACK,
  info,
  liveSegmentStart,
  OPUS_TRACK,
  simpleBlock,
  tracks,
} from '../../support/ebml-builders.js';
import { MatroskaError } from '../matroska/errors.js';
import { MatroskaReader } from '../matroska/reader.js';
import { feedRun, type FeedOptions, type HeaderChange } from './feed.js';
import { Publisher } from './publisher.js';
import { MIN_ENTRY_OFFSET_MS, Timeline } from './timeline.js';

const header = (...trackSpecs: (typeof H264_TRACK)[]): Buffer =>
  Buffer.concat([ebmlHead(), liveSegmentStart(), info(), tracks(...trackSpecs)]);
const frames = (...timestampsMs: number[]): Buffer =>
  Buffer.concat(timestampsMs.map((ts, i) => cluster(ts, simpleBlock(1, 0, i === 0))));

/** The stream in chunks of `size` bytes, as a pipe would deliver it. */
async function* chunked(bytes: Buffer, size = 7): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** A viewer on the publisher; returns the cluster timestamps it has received so far. */
function viewer(publisher: Publisher): () => number[] {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  publisher.addViewer({ id: 'v', address: '127.0.0.1', client: 'test', userAgent: 'test' }, sink);
  return () =>
    new MatroskaReader()
      .push(Buffer.concat(chunks))
      .flatMap((event) => (event.kind === 'cluster' ? [event.cluster.timestamp] : []));
}

const options = (extra: Partial<FeedOptions> = {}): FeedOptions => ({ now: () => 0, finish: true, ...extra });

describe('feedRun', () => {
  it('publishes every cluster of a run, whatever the chunking, and counts clusters and bytes', async () => {
    const publisher = new Publisher();
    const received = viewer(publisher);
    const bytes = Buffer.concat([header(H264_TRACK), frames(0, 33, 66, 100)]);
    let firstClusters = 0;
    const counts = await feedRun(chunked(bytes, 3), new Timeline(), publisher, {
      ...options(),
      onFirstCluster: () => (firstClusters += 1),
    });
    assert.deepEqual(counts, { clusters: 4, bytes: bytes.length });
    assert.equal(firstClusters, 1);
    // A viewer's stream starts MIN_ENTRY_OFFSET_MS in (see Timeline).
    assert.deepEqual(
      received(),
      [0, 33, 66, 100].map((t) => t + MIN_ENTRY_OFFSET_MS),
    );
  });

  it('splices a second run with the same tracks onto the same timeline: the viewer stays, timestamps go on', async () => {
    const publisher = new Publisher();
    const received = viewer(publisher);
    const timeline = new Timeline();
    const changes: HeaderChange[] = [];
    const run = (bytes: Buffer) =>
      feedRun(chunked(bytes), timeline, publisher, {
        ...options(),
        onHeader: (change) => changes.push(change),
      });
    await run(Buffer.concat([header(H264_TRACK), frames(0, 33, 66)]));
    await run(Buffer.concat([header(H264_TRACK), frames(0, 33)]));
    assert.deepEqual(changes, ['first', 'splice']);
    const got = received();
    assert.equal(got.length, 5);
    for (let i = 1; i < got.length; i++) assert.ok(got[i] > got[i - 1], `rising: ${got.join(', ')}`);
  });

  it('says how many viewers a run with other tracks cut off', async () => {
    const publisher = new Publisher();
    viewer(publisher);
    const timeline = new Timeline();
    const said: string[] = [];
    const onHeader = (change: HeaderChange, viewersEnded: number) => said.push(`${change} ${viewersEnded}`);
    await feedRun(chunked(Buffer.concat([header(H264_TRACK), frames(0)])), timeline, publisher, {
      ...options(),
      onHeader,
    });
    await feedRun(chunked(Buffer.concat([header(H264_TRACK, OPUS_TRACK), frames(0)])), timeline, publisher, {
      ...options(),
      onHeader,
    });
    assert.deepEqual(said, ['first 0', 'restart 1']);
  });

  it('throws TRUNCATED for a run that stops inside a cluster when finishing, and keeps what it counted', async () => {
    const whole = Buffer.concat([header(H264_TRACK), frames(0, 33)]);
    const cut = whole.subarray(0, whole.length - 3);
    const counts = { clusters: 0, bytes: 0 };
    await assert.rejects(
      feedRun(chunked(cut), new Timeline(), new Publisher(), options(), counts),
      (error: unknown) => error instanceof MatroskaError && error.code === 'TRUNCATED',
    );
    assert.deepEqual(counts, { clusters: 1, bytes: cut.length });
    // An encoder that was stopped or killed: its last partial cluster is just dropped.
    const dropped = await feedRun(chunked(cut), new Timeline(), new Publisher(), options({ finish: false }));
    assert.equal(dropped.clusters, 1);
  });

  it('waits for pace() before each cluster goes out, and publishes nothing more once aborted', async () => {
    const publisher = new Publisher();
    const received = viewer(publisher);
    const abort = new AbortController();
    const paced: number[] = [];
    const counts = await feedRun(
      chunked(Buffer.concat([header(H264_TRACK), frames(0, 33, 66, 100)]), 1000), // one chunk: every event at once
      new Timeline(),
      publisher,
      options({
        signal: abort.signal,
        pace: async (liveCluster) => {
          paced.push(liveCluster.tsMs);
          if (paced.length === 2) abort.abort();
        },
      }),
    );
    assert.deepEqual(paced, [0, 33]);
    assert.equal(counts.clusters, 1);
    assert.deepEqual(received(), [MIN_ENTRY_OFFSET_MS]);
  });
});
