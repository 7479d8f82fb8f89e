/**
 * Timestamps as viewers see them, end to end with a real `mkvcast serve` and real ffmpeg viewers: joins
 * at random moments on inputs with B-frames, an open GOP, HEVC and VP9 decode with an empty stderr, and
 * so does a viewer across `--loop` restarts; a file with a one-day gap keeps flowing (said once in the
 * log); /status fps is the video's frame rate.
 *
 * MKVCAST_JOINS sets the joins per input (default 16 here; the figure is 100).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ffmpegPath, runFfmpeg } from '../support/media.js';
import { killAll, runToExit, waitFor } from '../support/processes.js';
import { startServe, type ServeRun } from '../support/serve.js';

after(killAll);

const JOINS = Number(process.env.MKVCAST_JOINS ?? 16);
/** Viewers decoding at once: enough to keep the joins quick, few enough for a loaded 2-core machine. */
const CONCURRENT_VIEWERS = 6;

let dir = '';
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mkvcast-timestamps-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * `seconds` of test pattern at 30 fps and a tone, encoded with `codecArgs` (and filters in `extra`) into
 * `name`; audio only when `codecArgs` says how (`-c:a`), as a phone's or an editor's file has.
 */
async function encode(
  name: string,
  seconds: number,
  codecArgs: string[],
  extra: string[] = [],
): Promise<string> {
  const file = path.join(dir, `${seconds}s-${name}`);
  await runFfmpeg([
    '-v',
    'error',
    '-f',
    'lavfi',
    '-t',
    String(seconds),
    '-i',
    'testsrc2=size=320x240:rate=30',
    ...(codecArgs.includes('-c:a') ? ['-f', 'lavfi', '-t', String(seconds), '-i', 'sine=frequency=440'] : []),
    ...extra,
    ...codecArgs,
    '-pix_fmt',
    'yuv420p',
    file,
  ]);
  return file;
}

const INPUTS: Record<string, (seconds: number) => Promise<string>> = {
  'H.264 with B-frames (x264 defaults) and AAC in mp4': (s) =>
    encode('bframes.mp4', s, ['-c:v', 'libx264', '-g', '30', '-c:a', 'aac']),
  'H.264 with an open GOP': (s) =>
    encode('open-gop.mkv', s, ['-c:v', 'libx264', '-g', '30', '-x264-params', 'open_gop=1']),
  'HEVC in mp4': (s) =>
    encode('hevc.mp4', s, [
      '-c:v',
      'libx265',
      '-g',
      '30',
      '-x265-params',
      'log-level=error',
      '-tag:v',
      'hvc1',
    ]),
  'VP9 and Opus': (s) =>
    encode('vp9.webm', s, [
      '-c:a',
      'libopus',
      '-c:v',
      'libvpx-vp9',
      '-g',
      '30',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-b:v',
      '300k',
    ]),
};

interface ViewerRun {
  code: number | null;
  stderr: string;
  timedOut: boolean;
}

/** What a person runs to check a stream: decode `frames` video frames and say nothing unless something is wrong. */
function view(url: string, frames: number, timeoutMs = 60_000): Promise<ViewerRun> {
  return runToExit(
    ffmpegPath,
    ['-nostdin', '-v', 'error', '-i', url, '-frames:v', String(frames), '-f', 'null', '-'],
    {
      timeoutMs,
    },
  );
}

function describeRun(run: ViewerRun): string {
  return `exit ${run.code}${run.timedOut ? ' (timed out)' : ''}, stderr: ${JSON.stringify(run.stderr.trim())}`;
}

/**
 * `count` viewers joining at random moments, `CONCURRENT_VIEWERS` at a time; the runs that failed or
 * printed anything but `tolerated` lines.
 */
async function joinAtRandom(url: string, count: number, tolerated: RegExp | null = null): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      // A random moment within the next GOP and a half, so joins land anywhere in it.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 1500));
      const run = await view(url, 30);
      const lines = run.stderr.split('\n').filter((line) => line.trim() && !tolerated?.test(line));
      if (run.code !== 0 || run.timedOut || lines.length > 0)
        failures.push(`join ${index}: ${describeRun(run)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_VIEWERS }, worker));
  return failures;
}

describe('viewers that join at random moments decode with an empty stderr', () => {
  for (const [name, make] of Object.entries(INPUTS)) {
    test(name, { timeout: 180_000 }, async () => {
      const server = await startServe([await make(6), '--loop']);
      try {
        await server.waitLive();
        // An open GOP's keyframe is a recovery point, not an IDR: the frames after it may still carry
        // memory-management commands for pictures of the GOP before, which ffmpeg's H.264 decoder reports
        // once as "mmco: unref short failure" and then decodes on. ffmpeg prints the same when it seeks
        // into such a file itself (`ffmpeg -ss 5 -i open-gop.mkv -frames:v 30 -f null -`, in 6 of 7
        // seeks here); only a rewrite of the bitstream could avoid it. What the server can avoid, it does:
        // the leading frames that refer to the GOP before ("Missing reference picture", 12 joins of 16
        // before) are not sent to a viewer that starts at the keyframe.
        const tolerated = name.includes('open GOP')
          ? /\] mmco: unref short failure$|^\s+Last message repeated \d+ times$/
          : null;
        const failures = await joinAtRandom(server.url, JOINS, tolerated);
        assert.deepEqual(failures, [], `${failures.length} of ${JOINS} joins failed`);
      } finally {
        await server.stop();
      }
    });
  }
});

test('a viewer across three --loop restarts decodes with an empty stderr', { timeout: 120_000 }, async () => {
  const seconds = 2;
  const server = await startServe([
    await INPUTS['H.264 with B-frames (x264 defaults) and AAC in mp4'](seconds),
    '--loop',
  ]);
  try {
    await server.waitLive();
    // From a keyframe in the first run through three more runs of the file.
    const run = await view(server.url, 30 * seconds * 3 + 30, 90_000);
    assert.equal(run.code, 0, describeRun(run));
    assert.equal(run.stderr.trim(), '', describeRun(run));
  } finally {
    await server.stop();
  }
});

/** The log lines of a serve run that say its input's timestamps jumped. */
function jumpLines(server: ServeRun): string[] {
  return `${server.stdout()}\n${server.stderr()}`
    .split('\n')
    .filter((line) => /timestamps of .* jumped/.test(line));
}

test(
  'a file with a one-day gap keeps flowing: the stream goes on one frame later and the log says so once',
  { timeout: 120_000 },
  async () => {
    // 3 s of frames, then 9 s more whose timestamps are a day later: one gap inside one run. The file
    // outlasts the 7 s viewer by seconds: when it ends, serve exits, and /status can no longer be read
    // (a loaded machine once started the viewer late enough for that with 6 s after the gap).
    const file = await encode(
      'day-gap.mkv',
      12,
      ['-c:v', 'libx264', '-g', '30', '-bf', '0'],
      ['-vf', 'setpts=PTS+gte(T\\,3)*86400/TB', '-fps_mode', 'passthrough'],
    );
    const server = await startServe([file]);
    try {
      await server.waitLive();
      // The viewer gets the keyframe and then frames in real time, across the gap; /status meanwhile.
      const viewing = view(server.url, 30 * 7, 60_000);
      let done = false;
      void viewing.finally(() => (done = true));
      const states = new Set<string>();
      while (!done) {
        states.add((await server.status()).state);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const run = await viewing;
      assert.equal(run.code, 0, describeRun(run));
      assert.equal(run.stderr.trim(), '', describeRun(run));
      assert.deepEqual([...states], ['live'], 'the stream never stalled');
      assert.equal(jumpLines(server).length, 1, `${server.stdout()}\n${server.stderr()}`);
      assert.match(jumpLines(server)[0], /forward by 24\.0 h/);
    } finally {
      await server.stop();
    }
  },
);

test(
  '/status fps is the video frame rate of a 30 fps stream (not clusters per second)',
  { timeout: 60_000 },
  async () => {
    const server = await startServe([await INPUTS['H.264 with B-frames (x264 defaults) and AAC in mp4'](12)]);
    try {
      await server.waitLive();
      // Past the pacer's fast start (3 s of media at once) and one rate window (3 s) of real time.
      const fps = await waitFor(
        'a steady fps',
        async () => {
          const status = await server.status();
          return status.uptimeSec >= 7 && status.fps;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      assert.ok(fps >= 27 && fps <= 33, `fps ${fps}`);
    } finally {
      await server.stop();
    }
  },
);
