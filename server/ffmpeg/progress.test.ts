import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressParser } from './progress.js';

describe('ProgressParser', () => {
  it('turns -progress blocks into numbers and keeps other lines as messages, across any split', () => {
    const text =
      'frame=145\nfps=29.59\nbitrate=4012.3kbits/s\nout_time_us=4868000\ndup_frames=2\ndrop_frames=1\nspeed=0.994x\nprogress=continue\n' +
      '[x11grab @ 0x55] Cannot get the image data\n';
    const parser = new ProgressParser();
    const all = { progress: [] as unknown[], lines: [] as string[] };
    for (let i = 0; i < text.length; i += 5) {
      const r = parser.push(text.slice(i, i + 5));
      all.progress.push(...r.progress);
      all.lines.push(...r.lines);
    }
    assert.deepEqual(all.progress, [
      {
        frame: 145,
        fps: 29.59,
        bitrateKbps: 4012.3,
        speed: 0.994,
        droppedFrames: 1,
        duplicatedFrames: 2,
        outTimeMs: 4868,
      },
    ]);
    assert.deepEqual(all.lines, ['[x11grab @ 0x55] Cannot get the image data']);
  });

  it('N/A values are 0', () => {
    const { progress } = new ProgressParser().push('bitrate=N/A\nspeed=N/A\nprogress=continue\n');
    assert.equal(progress[0].bitrateKbps, 0);
    assert.equal(progress[0].speed, 0);
  });
});
