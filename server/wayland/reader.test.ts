import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS } from '../settings.js';
import { readerCommand } from './encoder.js';
import { i420FrameBytes, pipewireReaderArgs, portalCaptureArgs } from './reader.js';

describe('PipeWire reader and encoder arguments', () => {
  it('reads the node through the fd when there is one, at a fixed even size, repeating a still frame', () => {
    const args = pipewireReaderArgs(42, 1281, 721, 30);
    assert.ok(args.includes('fd=3'));
    assert.ok(args.includes('path=42'));
    assert.ok(args.includes('keepalive-time=33'));
    assert.ok(args.includes('video/x-raw,format=I420,width=1280,height=720,pixel-aspect-ratio=1/1'));
    assert.equal(pipewireReaderArgs(42, 1280, 720, 30, false).includes('fd=3'), false);
  });

  it('sizes an I420 frame as the reader sends it', () => {
    assert.equal(i420FrameBytes(1280, 720), 1280 * 720 * 1.5);
    assert.equal(i420FrameBytes(641, 361), 640 * 360 * 1.5);
  });

  it('gives ffmpeg raw frames on stdin and the same encode and mux as x11grab', () => {
    const screen = {
      id: 'portal',
      name: '',
      x: 0,
      y: 0,
      width: 1280,
      height: 720,
      scaleFactor: 1,
      primary: true,
    };
    const args = portalCaptureArgs({ ...DEFAULT_SETTINGS, fps: 30 }, screen, 'libx264');
    const input = args.indexOf('-i');
    assert.deepEqual(args.slice(input, input + 2), ['-i', 'pipe:0']);
    assert.ok(args.includes('rawvideo') && args.includes('1280x720'));
    assert.deepEqual(args.slice(-9, -1), [
      '-f',
      'matroska',
      '-live',
      '1',
      '-flush_packets',
      '1',
      '-cluster_time_limit',
      '33',
    ]);
  });

  const screen = {
    id: 'portal',
    name: '',
    x: 0,
    y: 0,
    width: 640,
    height: 360,
    scaleFactor: 1,
    primary: true,
  };

  it('with sound: one clock (-copyts) for the frames and pulse, the Opus encode as for x11grab', () => {
    const args = portalCaptureArgs({ ...DEFAULT_SETTINGS, fps: 30 }, screen, 'libx264', {
      audio: { kind: 'device', id: 'speakers.monitor' },
    });
    assert.ok(args.includes('-copyts'));
    assert.deepEqual(
      args.slice(
        args.indexOf('-use_wallclock_as_timestamps'),
        args.indexOf('-use_wallclock_as_timestamps') + 2,
      ),
      ['-use_wallclock_as_timestamps', '1'],
    );
    assert.deepEqual(args.slice(args.indexOf('pulse') - 1, args.indexOf('pulse') + 1), ['-f', 'pulse']);
    assert.ok(args.includes('libopus'));
    assert.deepEqual(args.slice(args.indexOf('-map'), args.indexOf('-map') + 4), [
      '-map',
      '0:v',
      '-map',
      '[aout]',
    ]);
  });

  it("paused: the card at the stream size in the raw frames' pixel format (so that it splices), with silence", () => {
    const args = portalCaptureArgs({ ...DEFAULT_SETTINGS, fps: 15 }, screen, 'libx264', {
      card: true,
      audio: { kind: 'silence' },
    });
    assert.equal(args.includes('pipe:0'), false);
    assert.ok(
      args.some((a) => a.startsWith('color=c=0x1e2a38:s=640x360:r=15') && a.includes('format=yuv420p')),
    );
    assert.ok(args.some((a) => a.startsWith('anullsrc')));
    assert.equal(args.includes('-copyts'), false);
  });

  it('runs the reader under setpriv --pdeathsig KILL when there is one, so that it dies with share', () => {
    assert.deepEqual(readerCommand('/usr/bin/gst-launch-1.0', ['-q', 'x'], '/usr/bin/setpriv'), {
      file: '/usr/bin/setpriv',
      args: ['--pdeathsig', 'KILL', '--', '/usr/bin/gst-launch-1.0', '-q', 'x'],
    });
    assert.deepEqual(readerCommand('/usr/bin/gst-launch-1.0', ['-q'], null), {
      file: '/usr/bin/gst-launch-1.0',
      args: ['-q'],
    });
  });
});
