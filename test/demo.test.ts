/**
 * `mkvcast demo` and the README's quick start: the command a newcomer copies serves a stream that a
 * real player decodes, picture and sound, and prints the links to it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { killAll } from '../support/processes.js';
import { MKVCAST_BIN, startServe, type ServeRun } from '../support/serve.js';
import { decode, explain } from '../support/viewers.js';

after(killAll);

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

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

test(
  "the README's quick start, word for word, serves a stream a player decodes",
  { timeout: 60_000 },
  async () => {
    const readme = await readFile(`${ROOT}README.md`, 'utf8');
    const quickStart = /## Quick start\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    const blocks = [...quickStart.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
    assert.match(blocks[0], /^apt-get install [^\n]*&& npm ci$/, 'first, one install command');
    assert.doesNotMatch(blocks[1], /\n/, 'then one run command');
    // The tests' own install block lists exactly the packages .ci/run installs.
    const packagesOf = (text: string): string[] =>
      text
        .replace(/\\\n/g, ' ')
        .split(/[\s()]+/)
        .filter((word) => /^[a-z0-9][a-z0-9.+-]+$/.test(word) && !/^(apt-get|install|packages=)$/.test(word))
        .sort();
    const ciRun = await readFile(`${ROOT}.ci/run`, 'utf8');
    const ciList = /^packages=\(([^)]*)\)/m.exec(ciRun)?.[1] ?? '';
    const testInstall = blocks.find((b, i) => i > 0 && b.startsWith('apt-get install')) ?? '';
    assert.ok(
      ciList && testInstall,
      'a packages=(…) list in .ci/run and a test install block in the quick start',
    );
    assert.deepEqual(packagesOf(testInstall.replace('apt-get install -y', '')), packagesOf(ciList));
    assert.doesNotMatch(readme, /npx mkvcast/, 'no README command goes through npx (it copies and builds)');
    const words = blocks[1].split(/\s+/);
    assert.equal(words[0], './bin/mkvcast.js', 'the checkout runs its own CLI');
    // Spawned as written (no shell, no node in front): the exec bit and the #! line are what make it run.
    // Only the address is added, so that the test takes a free port on loopback.
    const server = await startServe(words.slice(1), { command: [words[0]], cwd: ROOT });
    try {
      await assertPlays(server);
    } finally {
      await server.stop();
    }
  },
);
