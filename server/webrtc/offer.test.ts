import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkOffer } from './offer.js';

/** The shape of Chromium's WHEP offer, cut down: VP8, two H.264 (mode 0 and 1), RTX, Opus. */
const CHROMIUM_LIKE = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 106',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=fingerprint:sha-256 00:11',
  'a=setup:actpass',
  'a=mid:0',
  'a=recvonly',
  'a=rtcp-mux',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000',
  'a=rtcp-fb:102 nack pli',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
  'a=rtpmap:103 H264/90000',
  'a=rtcp-fb:103 nack pli',
  'a=fmtp:103 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:106 H264/90000',
  'a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0',
  'c=IN IP4 0.0.0.0',
  'a=mid:1',
  'a=recvonly',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

test('the offer is narrowed to one H.264 in packetization mode 1 (the stream profile first) and Opus', () => {
  const high = checkOffer(CHROMIUM_LIKE, '64001f');
  assert.deepEqual(high.video, { mid: '0', payloadType: 106, profileLevelId: '640c1f' });
  assert.deepEqual(high.audio, { mid: '1', payloadType: 111 });
  assert.match(high.sdp, /^m=video 9 UDP\/TLS\/RTP\/SAVPF 106\r$/m);
  assert.match(high.sdp, /^m=audio 9 UDP\/TLS\/RTP\/SAVPF 111\r$/m);
  assert.doesNotMatch(high.sdp, /VP8|rtx|PCMU|packetization-mode=0/);
  assert.match(high.sdp, /a=ice-ufrag:abcd/);
  const baseline = checkOffer(CHROMIUM_LIKE, '42e01f');
  assert.equal(baseline.video.payloadType, 103, 'mode 0 (102) is never chosen');
});

test('what is wrong with an offer is said: not SDP, no H.264, no fingerprint, too large', () => {
  assert.throws(() => checkOffer('hello', null), { code: 'BAD_OFFER', message: /not an SDP offer/ });
  const vp8 = CHROMIUM_LIKE.split('\r\n')
    .filter((l) => !/H264|:10[236] /.test(l))
    .join('\r\n');
  assert.throws(() => checkOffer(vp8, null), {
    code: 'NO_H264',
    message: /no H\.264 in packetization mode 1/,
  });
  const noFingerprint = CHROMIUM_LIKE.replace(/a=fingerprint:.*\r\n/, '');
  assert.throws(() => checkOffer(noFingerprint, null), { code: 'BAD_OFFER', message: /fingerprint/ });
  assert.throws(() => checkOffer('v=0\r\n' + 'a=x\r\n'.repeat(20000), null), {
    code: 'BAD_OFFER',
    message: /over the/,
  });
  const sendonly = CHROMIUM_LIKE.replace('a=mid:0\r\na=recvonly', 'a=mid:0\r\na=sendonly');
  assert.throws(() => checkOffer(sendonly, null), { code: 'BAD_OFFER', message: /does not receive/ });
});
