import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LANDING_CSP, landingPage } from './landing.js';

describe('landingPage with WebRTC', () => {
  const base = { streamUrl: 'http://192.168.1.20:8080/live.mkv', streamPath: 'live.mkv', live: true };
  const h264Opus = [
    { number: 1, kind: 'video' as const, codec: 'h264' },
    { number: 2, kind: 'audio' as const, codec: 'opus' },
  ];

  it('tries WHEP first (the video names the endpoint), and may POST to this server', () => {
    const html = landingPage({ ...base, tracks: h264Opus, whepPath: 'whep', webrtcUnsupported: null });
    assert.match(html, /<video id="player" data-src="live.mkv" data-whep="whep"/);
    // Sound is always asked for: it may be turned on after the page loaded (a header change).
    assert.match(html, /peer\.addTransceiver\('audio', \{ direction: 'recvonly' \}\);/);
    assert.match(html, /id="transport-switch"/);
    assert.match(LANDING_CSP, /connect-src 'self'/);
  });

  it('a stream WebRTC cannot carry keeps the Matroska player and says why', () => {
    const html = landingPage({
      ...base,
      tracks: [
        { number: 1, kind: 'video', codec: 'h264' },
        { number: 2, kind: 'audio', codec: 'aac' },
      ],
      whepPath: 'whep',
      webrtcUnsupported: 'The sound is aac; WebRTC carries Opus only.',
    });
    assert.doesNotMatch(html, /data-whep/);
    assert.match(html, /Playing the Matroska stream: The sound is aac; WebRTC carries Opus only\./);
  });

  it('without a WHEP endpoint the page is as before', () => {
    const html = landingPage({ ...base, tracks: h264Opus });
    assert.doesNotMatch(html, /data-whep|id="transport"/);
  });
});
