import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkQueue } from './chunks.js';

function queueOf(...chunks: string[]): ChunkQueue {
  const queue = new ChunkQueue();
  for (const chunk of chunks) queue.append(Buffer.from(chunk));
  return queue;
}

test('bytes are addressed by their offset in the stream, across chunk boundaries', () => {
  const queue = queueOf('abc', 'd', 'efgh');
  assert.equal(queue.end, 8);
  assert.equal(queue.peek(2, 4).toString(), 'cdef');
  assert.equal(queue.peek(6, 4).toString(), 'gh', 'only what has arrived');
  assert.equal(queue.peek(8, 4).length, 0);
  assert.equal(queue.peek(1, 2).toString(), 'bc', 'a step back from the last read');
  assert.equal(queue.take(0, 8).toString(), 'abcdefgh');
});

test('a range inside one chunk is taken as a view of it; a range over several is one copy', () => {
  const chunk = Buffer.from('0123456789');
  const queue = new ChunkQueue();
  queue.append(Buffer.from('xy'));
  queue.append(chunk);
  const view = queue.take(4, 8);
  assert.equal(view.toString(), '2345');
  assert.equal(view.buffer, chunk.buffer);
  assert.equal(view.byteOffset, chunk.byteOffset + 2);
  const copy = queue.take(1, 5);
  assert.equal(copy.toString(), 'y012');
  chunk[0] = 0x2e;
  assert.equal(copy.toString(), 'y012', 'a copy: changing the input leaves it alone');
});

test('discarding ahead of what has arrived drops those bytes when they come, without holding them', () => {
  const queue = queueOf('abc');
  queue.discard(7);
  queue.append(Buffer.from('defg'));
  assert.equal(queue.peek(7, 4).length, 0, 'all of "defg" is before offset 7');
  queue.append(Buffer.from('hijk'));
  assert.equal(queue.end, 11);
  assert.equal(queue.peek(7, 4).toString(), 'hijk');
  queue.discard(9);
  assert.equal(queue.take(9, 11).toString(), 'jk');
});

test('copyTo copies a range spread over many 1-byte chunks', () => {
  const queue = new ChunkQueue();
  const text = 'the quick brown fox';
  for (const char of text) queue.append(Buffer.from(char));
  const target = Buffer.alloc(9, '.');
  queue.copyTo(target, 1, 4, 11);
  assert.equal(target.toString(), '.quick b.');
  queue.discard(10);
  assert.equal(queue.take(10, text.length).toString(), 'brown fox');
});
