import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeInput, safeUrl } from './describe.js';

describe('describeInput', () => {
  it('shows a URL without its user, password, query or fragment', () => {
    assert.equal(describeInput('http://alice:pw@cam/x?api_key=K'), 'http://cam/x');
    assert.equal(
      describeInput('https://user@cam.lan:8443/live/stream.m3u8?token=abc#t=3'),
      'https://cam.lan:8443/live/stream.m3u8',
    );
    assert.equal(
      describeInput('rtsp://admin:secret@192.168.1.20:554/h264?channel=1'),
      'rtsp://192.168.1.20:554/h264',
    );
    assert.equal(describeInput('srt://[::1]:9000?passphrase=hunter2hunter2'), 'srt://[::1]:9000');
  });

  it('cuts the same parts from what WHATWG URL cannot parse', () => {
    assert.equal(safeUrl('rtmp://bob:pw@host:bad/app?key=1'), 'rtmp://host:bad/app');
    assert.equal(safeUrl('udp://@:1234?fifo_size=1'), 'udp://:1234');
  });

  it('shows a file by its name only, stdin as stdin, a TCP listener as is', () => {
    assert.equal(describeInput('/home/alice/Private/talk final.mp4'), 'file talk final.mp4');
    assert.equal(describeInput('clips/demo.mkv'), 'file demo.mkv');
    assert.equal(describeInput('-'), 'stdin');
    assert.equal(describeInput(undefined), 'stdin');
    assert.equal(describeInput('tcp://127.0.0.1:9000'), 'tcp://127.0.0.1:9000');
  });
});
