/**
 * demoArgs run by the real ffmpeg, with what every ffmpeg has (no clock, AAC) and with the clock and
 * Opus: live Matroska with H.264 keyframes each second and a sound track, as ffprobe reads it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ffmpegPath, ffprobePath } from '../../support/media.js';
import { runToExit } from '../../support/processes.js';
import { DEMO_DEFAULTS, demoArgs, type DemoOptions } from './demo.js';

async function probe(stream: Buffer, entries: string, select: string): Promise<string[]> {
  const run = await runToExit(
    ffprobePath,
    ['-v', 'error', '-select_streams', select, '-show_entries', entries, '-of', 'csv=p=0', '-'],
    { stdin: stream },
  );
  assert.equal(run.code, 0, run.stderr);
  return run.stdout.toString('utf8').trim().split('\n');
}

for (const [name, options] of [
  ['the clock and Opus', DEMO_DEFAULTS],
  [
    'no clock and AAC (an ffmpeg without drawtext or libopus)',
    { ...DEMO_DEFAULTS, clock: false, opus: false },
  ],
] as [string, DemoOptions][]) {
  test(
    `the demo stream with ${name}: H.264 with a keyframe each second, and sound`,
    { timeout: 30_000 },
    async () => {
      const args = demoArgs({ ...options, width: 320, height: 240 });
      assert.equal(args.at(-1), 'pipe:1');
      const run = await runToExit(ffmpegPath, [...args.slice(0, -1), '-t', '2.5', 'pipe:1'], {
        timeoutMs: 20_000,
      });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(await probe(run.stdout, 'stream=codec_name,width,height', 'v'), ['h264,320,240']);
      assert.deepEqual(await probe(run.stdout, 'stream=codec_name', 'a'), [options.opus ? 'opus' : 'aac']);
      const keyframes = (await probe(run.stdout, 'packet=pts_time,flags', 'v'))
        .filter((line) => line.includes('K'))
        .map((line) => Number(line.split(',')[0]));
      // The stream may start a few ms in (the sound's start); the keyframes are one second apart.
      assert.deepEqual(
        keyframes.map((t) => Math.round((t - keyframes[0]) * 1000)),
        [0, 1000, 2000],
      );
    },
  );
}
