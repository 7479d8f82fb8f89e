/**
 * ServeService.ready, which the CLI waits for before printing links: it rejects with the input's error
 * only once the server has stopped listening, and resolves at once for an input that waits for a push.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from '../support/ports.js';
import { ServeService, type ServeOptions } from './serve.js';

const OPTIONS: Omit<ServeOptions, 'input'> = {
  host: '127.0.0.1',
  port: 0,
  maxViewers: 4,
  maxLagMs: 2000,
  fastStartSegments: 0,
  token: null,
  loop: false,
};

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

test('an input that is not there: ready rejects with its error, and nothing listens any more', async () => {
  const missing = path.join(os.tmpdir(), `mkvcast-serve-test-missing-${process.pid}.mkv`);
  const service = new ServeService({ ...OPTIONS, input: missing });
  const { port } = await service.start();
  await assert.rejects(service.ready, { code: 'INPUT_NOT_FOUND' });
  assert.equal(await refused(port), true, `port ${port} is closed`);
  await assert.rejects(service.done, { code: 'INPUT_NOT_FOUND' });
});

test('a TCP input is ready at once, before any push; stop() then ends it', async () => {
  const listener = new ServeService({ ...OPTIONS, input: `tcp://127.0.0.1:${await freePort()}` });
  await listener.start();
  assert.equal(await listener.ready, true);
  assert.equal(listener.streamState, 'waiting');
  await listener.stop();
  await listener.done;
});
