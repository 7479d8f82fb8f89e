import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientName } from './user-agent.js';

describe('clientName', () => {
  it('names the players and browsers people use', () => {
    assert.equal(clientName('VLC/3.0.18 LibVLC/3.0.18'), 'VLC');
    assert.equal(clientName('libmpv'), 'mpv');
    assert.equal(clientName('mpv 0.35.1'), 'mpv');
    assert.equal(clientName('Lavf/59.27.100'), 'ffmpeg');
    assert.equal(
      clientName(
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
      ),
      'Chrome',
    );
    assert.equal(
      clientName('Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'),
      'Firefox',
    );
  });

  it('falls back to the first product token, printable and short; nothing is unknown', () => {
    assert.equal(clientName('MyPlayer/1.2 (thing)'), 'MyPlayer');
    assert.equal(clientName('\u0000\u0001'), 'unknown');
    assert.equal(clientName(undefined), 'unknown');
    assert.equal(clientName('x'.repeat(100)).length, 32);
  });
});
