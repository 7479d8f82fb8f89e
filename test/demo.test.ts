/**
 * `mkvcast demo` and the README's quick start: the command a newcomer copies serves a stream that a
 * real player decodes, picture and sound, and prints the links to it.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { killAll } from '../support/processes.js';
import { MKVCAST_BIN, startServe, type ServeRun } from '../support/serve.js';
import { decode, explain } from '../support/viewers.js';

after(killAll);

/** A viewer decodes 2 s of the stream: frames of video (H.264) and of sound, cleanly. */
async function assertPlays(server: ServeRun): Promise<void> {
  const status = await server.waitLive();
  assert.deepEqual(status.tracks.map((t) => `${t.kind} ${t.codec}`).sort(), ['audio opus', 'video h264']);
  const run = await decode(server.url, { seconds: 2, timeoutMs: 30_000 });
  assert.equal(run.code, 0, explain(run));
  assert.equal(run.stderr.trim(), '', explain(run));
  const [video, audio] = run.frames;
  assert.ok(video && video.ptsSec.length >= 30, `video frames decoded: ${video?.ptsSec.length}`);
  assert.ok(audio && audio.ptsSec.length >= 50, `audio frames decoded: ${audio?.ptsSec.length}`);
}

test(
  'mkvcast demo prints its links and serves a moving picture with sound that a player decodes',
  { timeout: 60_000 },
  async () => {
    const server = await startServe([], { command: [process.execPath, MKVCAST_BIN, 'demo'] });
    try {
      assert.match(server.stdout(), /serving a test picture with a clock and a tone/);
      assert.match(server.stdout(), /Watch on this network:\n {2}http:\/\/127\.0\.0\.1:\d+\/live\.mkv/);
      await assertPlays(server);
      assert.deepEqual(await server.stop('SIGINT'), { code: 0, signal: null }, server.stderr());
    } finally {
      await server.stop('SIGKILL');
    }
  },
);

test('mkvcast demo takes no input: exit code 2, pointing to serve', { timeout: 30_000 }, async () => {
  const server = startServe(['talk.mp4'], { command: [process.execPath, MKVCAST_BIN, 'demo'] });
  await assert.rejects(server, /exited \(2\)[\s\S]*mkvcast demo makes its own input \(got talk\.mp4\)/);
});
