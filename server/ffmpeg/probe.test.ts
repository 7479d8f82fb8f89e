import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDevices, parseEncoders } from './probe.js';

describe('ffmpeg capability parsing', () => {
  it('reads input devices from -devices', () => {
    const devices = parseDevices(
      'Devices:\n D. = Demuxing supported\n .E = Muxing supported\n --\n DE alsa            ALSA audio output\n  E caca  caca output\n D  x11grab         X11 screen capture, using XCB\n DE video4linux2,v4l2 Video4Linux2 output device\n',
    );
    assert.ok(devices.has('x11grab'));
    assert.ok(devices.has('v4l2'));
    assert.ok(devices.has('alsa'));
    assert.ok(!devices.has('caca'));
  });

  it('reads video encoders from -encoders', () => {
    const encoders = parseEncoders(
      'Encoders:\n V..... = Video\n ------\n V....D libx264              libx264 H.264\n V....D h264_vaapi           H.264/AVC (VAAPI)\n A....D aac                  AAC\n',
    );
    assert.deepEqual([...encoders], ['libx264', 'h264_vaapi']);
  });
});
