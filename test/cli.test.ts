/**
 * `mkvcast` as a person runs it: one clear line and the right exit code for each mistake, --help and
 * --version, a viewer token, and Ctrl-C stopping cleanly (port free, no ffmpeg left behind).
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { makeMedia } from '../support/media.js';
import { freePort } from '../support/ports.js';
import { childPids, isAlive, killAll, spawnTracked, waitFor } from '../support/processes.js';
import { MKVCAST_BIN, runCli, startServe } from '../support/serve.js';
import { decode, explain } from '../support/viewers.js';

after(killAll);

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Runs `mkvcast ARGS` and expects it to fail with one line on stderr, and no link printed before. */
async function expectFailure(
  args: string[],
  exitCode: number,
  message: RegExp,
  { env = {}, stdin }: { env?: Record<string, string>; stdin?: Buffer } = {},
): Promise<string> {
  const run = await runCli(args, { env, stdin });
  const stderr = run.stderr.trim();
  assert.equal(run.code, exitCode, `mkvcast ${args.join(' ')}: ${explain(run)}`);
  assert.equal(run.stdout.toString('utf8'), '', 'no link is printed for an input that cannot play');
  assert.equal(stderr.split('\n').length, 1, `one line on stderr, got:\n${stderr}`);
  assert.match(stderr, /^mkvcast: /);
  assert.match(stderr, message);
  assert.doesNotMatch(stderr, /\bat .*\.js:\d+|Error: /, 'no stack trace');
  return stderr;
}

test('a port in use is named, with exit code 1', { timeout: 30_000 }, async () => {
  const blocker = await listenOn(0);
  const port = (blocker.address() as { port: number }).port;
  try {
    const media = await makeMedia('h264-aac', { seconds: 2 });
    const run = await runCli(['serve', media, '--host', '127.0.0.1', '--port', String(port)]);
    const stderr = run.stderr.trim();
    assert.equal(run.code, 1, explain(run));
    assert.equal(stderr.split('\n').length, 1, stderr);
    assert.match(stderr, new RegExp(`^mkvcast: Port ${port} is in use.*--port`));
  } finally {
    await close(blocker);
  }
});

test('an input that does not exist: exit code 1, naming it', { timeout: 30_000 }, async () => {
  const missing = path.join(os.tmpdir(), `mkvcast-no-such-file-${process.pid}.mkv`);
  await expectFailure(
    ['serve', missing, '--host', '127.0.0.1', '--port', '0'],
    1,
    new RegExp(`Input not found: ${missing}`),
  );
});

test("a text file as input: exit code 1 with ffmpeg's reason", { timeout: 30_000 }, async () => {
  const text = path.join(os.tmpdir(), `mkvcast-notes-${process.pid}.txt`);
  await writeFile(text, 'Shopping list:\n- milk\n- bread\n');
  await expectFailure(
    ['serve', text, '--host', '127.0.0.1', '--port', '0'],
    1,
    /ffmpeg could not read .*notes.*Invalid data found when processing input/,
  );
});

test('nothing on stdin: exit code 1, saying so', { timeout: 30_000 }, async () => {
  await expectFailure(['serve', '-', '--host', '127.0.0.1', '--port', '0'], 1, /Nothing came from stdin\./);
});

test(
  "random bytes on stdin: exit code 1 with ffmpeg's reason, and no link",
  { timeout: 30_000 },
  async () => {
    const stderr = await expectFailure(
      ['serve', '-', '--host', '127.0.0.1', '--port', '0'],
      1,
      /ffmpeg could not read standard input: .*Invalid data found when processing input/,
      { stdin: randomBytes(256 * 1024) },
    );
    assert.doesNotMatch(stderr, /ffprobe standard input/, 'no command that does not exist');
  },
);

test('a URL nobody answers at: exit code 1 naming it, no link', { timeout: 30_000 }, async () => {
  const closed = await listenOn(0);
  const port = (closed.address() as { port: number }).port;
  await close(closed);
  const url = `http://127.0.0.1:${port}/talk.mkv`;
  const stderr = await expectFailure(
    ['serve', url, '--host', '127.0.0.1', '--port', '0'],
    1,
    /ffmpeg could not read .*talk\.mkv.*Connection refused/,
  );
  assert.doesNotMatch(stderr, /Watch on/);
});

test('a TCP input prints its links at once, saying it waits for a push', { timeout: 30_000 }, async () => {
  const server = await startServe([`tcp://127.0.0.1:${await freePort()}`]);
  try {
    // The line follows the links at once, but a pipe may hand it over in a later chunk.
    await waitFor(
      'the waiting line',
      () => /Waiting for a stream pushed to tcp:\/\/127\.0\.0\.1:\d+; viewers can open/.test(server.stdout()),
      { timeoutMs: 2000 },
    );
    assert.equal((await server.status()).state, 'waiting');
  } finally {
    await server.stop();
  }
});

test(
  'an input that sends nothing yet: no link, a line saying it is being opened, and Ctrl-C exits 0',
  { timeout: 30_000 },
  async () => {
    const child = spawnTracked(
      process.execPath,
      [MKVCAST_BIN, 'serve', '-', '--host', '127.0.0.1', '--port', '0'],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    await waitFor('the line saying stdin is being opened', () => stderr.includes('Opening stdin…'));
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
    assert.equal(stdout, '', 'no link for an input that has sent nothing');
    assert.match(stderr, /Stopped\./);
  },
);

test('-q prints the links and nothing else', { timeout: 30_000 }, async () => {
  const server = await startServe([
    await makeMedia('h264-aac', { seconds: 4 }),
    '--loop',
    '--token',
    'auto',
    '-q',
  ]);
  await server.waitLive();
  assert.deepEqual(await server.stop('SIGINT'), { code: 0, signal: null });
  const lines = server.stdout().trimEnd().split('\n');
  assert.ok(lines.length >= 1);
  for (const line of lines) {
    assert.match(line, /^ {2}http:\/\/\S+\/[A-Za-z0-9_-]{22}\/live\.mkv {3}\(.+\)$/, 'a link with its token');
  }
  assert.equal(server.stderr(), '');
});

test(
  'ffmpeg missing (FFMPEG_PATH=/nonexistent): exit code 1 and how to install it',
  { timeout: 30_000 },
  async () => {
    const media = await makeMedia('h264-aac', { seconds: 2 });
    await expectFailure(
      ['serve', media, '--host', '127.0.0.1', '--port', '0'],
      1,
      /ffmpeg was not found at \/nonexistent.*sudo apt-get install ffmpeg/,
      { env: { FFMPEG_PATH: '/nonexistent' } },
    );
  },
);

test(
  'bad option values and unknown options: exit code 2, naming the option',
  { timeout: 30_000 },
  async () => {
    const cases: [string[], RegExp][] = [
      [['--port', '70000'], /--port must be a whole number from 0 to 65535 \(got '70000'\)/],
      [['--max-lag', 'abc'], /--max-lag must be a number of seconds .*\(got 'abc'\)/],
      [['--max-viewers', '0'], /--max-viewers must be/],
      [['--token', 'short'], /--token must be/],
      [['--max-viewers-per-address', '0'], /--max-viewers-per-address must be a whole number from 1/],
      [['--cors', '*'], /--cors: '\*' is not an origin\. Give an origin such as 'http:/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['--webrtc-ports', '40100-40000'], /low first: write 40000-40100/],
      [['--webrtc-ports', '40000-40009'], /hold 10 browser viewers, but max viewers is 64/],
    ];
    await Promise.all(
      cases.map(async ([args, message]) => {
        const stderr = await expectFailure(['serve', '-', '--host', '127.0.0.1', ...args], 2, message);
        assert.match(stderr, /mkvcast --help/, 'points to --help');
      }),
    );
  },
);

test('--help and --version print to stdout and exit 0', { timeout: 30_000 }, async () => {
  const packageJson = new URL('../../package.json', import.meta.url);
  const { version } = JSON.parse(await readFile(packageJson, 'utf8')) as { version: string };
  for (const args of [['--help'], ['serve', '--help'], ['-h']]) {
    const run = await runCli(args);
    assert.equal(run.code, 0, explain(run));
    assert.match(run.stdout.toString('utf8'), /Usage:\n\s+mkvcast serve \[INPUT\]/);
    assert.match(run.stdout.toString('utf8'), /--max-lag SEC/);
    assert.equal(run.stderr, '');
  }
  for (const args of [['--version'], ['serve', '--version'], ['share', '--version'], ['demo', '--version']]) {
    const run = await runCli(args);
    assert.equal(run.code, 0, explain(run));
    assert.equal(run.stdout.toString('utf8'), `${version}\n`);
    assert.equal(run.stderr, '');
  }
});

test(
  '--token auto prints a link with a 22-character token; the stream without it is 404',
  { timeout: 30_000 },
  async () => {
    const server = await startServe([
      await makeMedia('h264-aac', { seconds: 4 }),
      '--loop',
      '--token',
      'auto',
    ]);
    try {
      const match = /^http:\/\/127\.0\.0\.1:\d+\/([A-Za-z0-9_-]+)\/live\.mkv$/.exec(server.url);
      assert.ok(match, `the printed link ${server.url} carries a token`);
      assert.equal(match[1].length, 22);
      await server.waitLive();

      const base = `http://127.0.0.1:${server.port}`;
      for (const plain of ['/live.mkv', '/status', '/', `/${match[1].slice(0, 21)}/live.mkv`]) {
        const response = await fetch(`${base}${plain}`);
        await response.body?.cancel();
        assert.equal(response.status, 404, `${plain} without the token`);
      }
      const run = await decode(server.url, { videoFrames: 5 });
      assert.equal(run.code, 0, explain(run));
      assert.equal(run.stderr, '', explain(run));
    } finally {
      await server.stop();
    }
  },
);

test(
  'Ctrl-C (SIGINT) stops cleanly: exit 0, the port is free, no ffmpeg left',
  { timeout: 30_000 },
  async () => {
    // Long enough that the remuxing ffmpeg is still running (paced by the pipe) when Ctrl-C comes.
    const server = await startServe([await makeMedia('h264-aac', { seconds: 10 }), '--loop']);
    await server.waitLive();
    const viewer = decode(server.url, { seconds: 30 });
    await waitFor('the viewer to connect', async () => (await server.status()).viewers.length === 1);
    const children = childPids(server.pid);
    assert.equal(children.length, 1, 'one ffmpeg remuxes the file');
    assert.ok(isAlive(children[0]));

    const exit = await server.stop('SIGINT');
    assert.deepEqual(exit, { code: 0, signal: null }, server.stderr());
    assert.match(server.stderr(), /Stopped\./);
    for (const pid of children) {
      await waitFor(`ffmpeg ${pid} to be gone`, () => !isAlive(pid), { timeoutMs: 5000 });
    }
    // The viewer's connection was closed by the server, not left hanging.
    const run = await viewer;
    assert.ok(run.wallMs < 25_000, `the viewer was let go: ${explain(run)}`);
    const again = await listenOn(server.port);
    await close(again);
  },
);
