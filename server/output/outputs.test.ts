import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Publisher } from '../stream/publisher.js';
import { OutputError } from './errors.js';
import { Outputs } from './outputs.js';

const A = 'icecast://source:pw-a@127.0.0.1:9/a.mkv';
const B = 'icecast://source:pw-b@127.0.0.1:9/b.mkv';

describe('Outputs.setPushes (the app adding and removing pushes while sharing)', () => {
  it('starts the new URLs, stops the ones gone, keeps the others running as they are', async () => {
    // `false` stands in for ffmpeg: each run fails at once, and the long backoff keeps it waiting.
    const outputs = new Outputs(new Publisher(), {
      pushes: [A],
      ffmpeg: () => 'false',
      pushBackoffMs: [60_000],
    });
    try {
      const [first] = outputs.pushes;
      await outputs.setPushes([A, B]);
      assert.equal(outputs.pushes[0], first, 'the push to A goes on untouched');
      assert.deepEqual(
        outputs.status().pushes.map((p) => p.target),
        ['icecast://127.0.0.1:9/a.mkv', 'icecast://127.0.0.1:9/b.mkv'],
      );
      await outputs.setPushes([B]);
      assert.equal(first.info().state, 'stopped');
      assert.deepEqual(
        outputs.pushes.map((p) => p.target.url),
        [B],
      );
      await assert.rejects(outputs.setPushes([B, 'ftp://x/y']), (error: OutputError) => {
        assert.equal(error.code, 'PUSH_URL_INVALID');
        return true;
      });
      assert.deepEqual(
        outputs.pushes.map((p) => p.target.url),
        [B],
        'a bad URL changes nothing',
      );
    } finally {
      await outputs.stop();
    }
  });
});
