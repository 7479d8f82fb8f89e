import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS } from '../settings.js';
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
});
