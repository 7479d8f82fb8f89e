import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { landingPage } from './landing.js';

describe('landingPage', () => {
  const base = { streamUrl: 'http://192.168.1.20:8080/live.mkv', streamPath: 'live.mkv', live: true };

  it('shows the player and the player commands for an H.264 stream', () => {
    const html = landingPage({ ...base, tracks: [{ number: 1, kind: 'video', codec: 'h264' }] });
    assert.match(html, /<video id="player"/);
    assert.match(html, /vlc --network-caching=300 http:\/\/192\.168\.1\.20:8080\/live\.mkv/);
    assert.match(html, /mpv --profile=low-latency --untimed/);
  });

  it('says plainly that browsers do not play HEVC instead of showing a black box', () => {
    const html = landingPage({ ...base, tracks: [{ number: 1, kind: 'video', codec: 'hevc' }] });
    assert.doesNotMatch(html, /<video/);
    assert.match(html, /HEVC, which browsers do not play/);
  });

  it('a stream without a picture gets an audio player, says "Sound only" and offers to play the sound', () => {
    const html = landingPage({ ...base, tracks: [{ number: 1, kind: 'audio', codec: 'opus' }] });
    assert.doesNotMatch(html, /<video/);
    assert.match(html, /<audio id="player" data-src="live.mkv"/);
    assert.match(html, /Sound only: this stream has no picture\./);
    assert.match(html, /<button type="button" id="sound">Play sound<\/button>/);
  });

  it('a picture with sound offers to play the sound too (the player starts muted)', () => {
    const tracks = [
      { number: 1, kind: 'video' as const, codec: 'h264' },
      { number: 2, kind: 'audio' as const, codec: 'aac' },
    ];
    const html = landingPage({ ...base, tracks });
    assert.match(html, /<video id="player"/);
    assert.match(html, /id="sound">Play sound/);
    assert.doesNotMatch(html, /Sound only/);
  });

  it('escapes what came from the request', () => {
    const html = landingPage({
      ...base,
      streamUrl: 'http://"><script>alert(1)</script>/live.mkv',
      tracks: [],
    });
    assert.doesNotMatch(html, /<script>alert/);
  });
});
