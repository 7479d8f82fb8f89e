import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { liveClusters, makeHeader, parseClusters } from '../../support/stream-clusters.js';
import { endViewers } from './end-viewers.js';
import { Publisher } from './publisher.js';

const meta = (id: string) => ({ id, address: '127.0.0.1', client: 'test', userAgent: 'test' });

describe('endViewers', { timeout: 10_000 }, () => {
  it('lets a reading viewer take the rest of its queue and the end of the stream, then resolves', async () => {
    const publisher = new Publisher();
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise((resolve) => sink.once('end', resolve));
    publisher.addViewer(meta('a'), sink);
    publisher.setHeader(makeHeader(), 'first');
    for (const cluster of liveClusters(5, { gop: 5 })) publisher.publish(cluster);
    await endViewers(publisher, 60_000);
    await ended;
    assert.equal(publisher.viewerCount, 0);
    assert.equal(
      parseClusters(Buffer.concat(chunks), makeHeader().bytes.length).length,
      5,
      'every cluster arrived',
    );
  });

  it('gives up on a viewer that does not read after the grace time, leaving it to its owner', async () => {
    const publisher = new Publisher();
    const stuck = new PassThrough({ highWaterMark: 16 }); // never read: its writes stop at once
    publisher.addViewer(meta('stuck'), stuck);
    publisher.setHeader(makeHeader(), 'first');
    for (const cluster of liveClusters(5, { gop: 5 })) publisher.publish(cluster);
    await endViewers(publisher, 50);
    assert.equal(
      publisher.viewerCount,
      1,
      'the stuck viewer is still there: endViewers did not wait forever',
    );
    publisher.closeAll();
  });
});
