/**
 * The landing page and the H.264 profile: a stream from share's own encoder arguments (real ffmpeg), read
 * by the server's Matroska reader, gives the page its tracks as server.ts does. A 4:4:4 stream ("Sharpest
 * text") must send people to VLC or mpv; the default (4:2:0, High) gets the browser player.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeArgs } from '../ffmpeg/capture.js';
import { MatroskaReader } from '../matroska/reader.js';
import { avcProfile } from '../matroska/avc-profile.js';
import type { Quality } from '../api.js';
import { runFfmpeg } from '../../support/media.js';
import { landingPage } from './landing.js';

const SCREEN = { id: 's', name: 's', x: 0, y: 0, width: 320, height: 240, scaleFactor: 1, primary: true };

async function tracksOf(quality: Quality) {
  const { stdout } = await runFfmpeg([
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=30',
    '-t',
    '0.2',
    ...encodeArgs({ fps: 30, keyframeIntervalSec: 1, quality }, SCREEN, 'libx264'),
    '-f',
    'matroska',
    '-',
  ]);
  const header = new MatroskaReader().push(stdout).find((e) => e.kind === 'header');
  assert.ok(header && header.kind === 'header', 'the stream has a header');
  return header.header.tracks;
}

const base = { streamUrl: 'http://192.168.1.20:8080/live.mkv', streamPath: 'live.mkv', live: true };

describe('the landing page and the H.264 profile', () => {
  it('a 4:4:4 stream says browsers cannot play it and points to VLC and mpv, with no <video>', async () => {
    const tracks = await tracksOf('text444');
    assert.equal(avcProfile(tracks[0].codecPrivate)?.profileIdc, 244);
    const html = landingPage({ ...base, tracks });
    assert.doesNotMatch(html, /<video/);
    assert.match(html, /H\.264 High 4:4:4 Predictive, which browsers cannot play/);
    assert.match(html, /Open the link in VLC or mpv instead/);
    assert.match(html, /vlc --network-caching=300 http:\/\/192\.168\.1\.20:8080\/live\.mkv/);
  });

  it('the default (4:2:0, High) keeps the browser player and says nothing of 4:4:4', async () => {
    const tracks = await tracksOf('balanced');
    assert.equal(avcProfile(tracks[0].codecPrivate)?.browserPlayable, true);
    const html = landingPage({ ...base, tracks });
    assert.match(html, /<video id="player"/);
    assert.doesNotMatch(html, /cannot play/);
  });

  it('bytes that are not an avcC tell no profile, and the page stays as it was', () => {
    assert.equal(avcProfile(Buffer.from([0, 244, 0, 40])), null);
    assert.equal(avcProfile(Buffer.from([1, 244])), null);
    assert.equal(avcProfile(undefined), null);
    const html = landingPage({ ...base, tracks: [{ number: 1, kind: 'video', codec: 'h264' }] });
    assert.match(html, /<video id="player"/);
  });
});
