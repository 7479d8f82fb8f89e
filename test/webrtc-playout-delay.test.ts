/**
 * Chromium's playout-delay RTP header extension: when a WHEP offer lists it, every video packet the
 * server sends carries it, by default as min = 0, max = 100 ms (Chromium's low-latency renderer, which
 * still smooths); a viewer may ask for its own (`?playout-delay=0-0`, `off`); when the offer does not
 * list it, no packet carries it. A werift client on `mkvcast serve` receives and decrypts the packets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RTCRtpHeaderExtensionParameters,
  type RtpPacket,
} from 'werift';
import { ServeService } from '../server/serve.js';
import { parsePlayoutDelay, PLAYOUT_DELAY_URI, playoutDelayPayload } from '../server/webrtc/whep.js';
import { makeMedia } from '../support/media.js';
import { killAll, waitFor } from '../support/processes.js';

/**
 * Video packets received by a werift client whose offer lists playout-delay or not; `sent`: whether the
 * answer must list it.
 */
async function receive(
  whep: string,
  offerPlayoutDelay: boolean,
  sent = offerPlayoutDelay,
): Promise<RtpPacket[]> {
  const pc = new RTCPeerConnection({
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/H264',
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
          parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1',
        }),
      ],
    },
    headerExtensions: {
      video: offerPlayoutDelay ? [new RTCRtpHeaderExtensionParameters({ uri: PLAYOUT_DELAY_URI })] : [],
    },
    iceServers: [],
    iceUseIpv6: false,
  });
  const packets: RtpPacket[] = [];
  let session: string | null = null;
  try {
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => packets.push(rtp)));
    await pc.setLocalDescription(await pc.createOffer());
    assert.equal(pc.localDescription!.sdp.includes(PLAYOUT_DELAY_URI), offerPlayoutDelay);
    const response = await fetch(whep, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp' },
      body: pc.localDescription!.sdp,
    });
    const answer = await response.text();
    assert.equal(response.status, 201, answer);
    session = new URL(response.headers.get('location')!, whep).href;
    // The answer lists the extension only when the offer did (and it is not off).
    assert.equal(answer.includes(PLAYOUT_DELAY_URI), sent);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await waitFor('60 video packets', () => packets.length >= 60, { timeoutMs: 15_000 });
    return packets;
  } finally {
    if (session) await fetch(session, { method: 'DELETE' }).catch(() => undefined);
    await pc.close();
  }
}

describe('playout-delay over WHEP on mkvcast serve', { timeout: 60_000 }, () => {
  let service: ServeService;
  let whep: string;

  before(async () => {
    const input = await makeMedia('h264-opus', { seconds: 4 });
    service = new ServeService({
      input,
      host: '127.0.0.1',
      port: 0,
      maxViewers: 4,
      maxLagMs: 2000,
      fastStartSegments: 0,
      token: null,
      loop: true,
    });
    const { port } = await service.start();
    await service.ready;
    whep = `http://127.0.0.1:${port}/whep`;
  });
  after(async () => {
    await service?.stop();
    await killAll();
  });

  /** Every packet carries the extension with this payload. */
  const carries = (packets: RtpPacket[], payload: number[]): void => {
    // werift numbers the client's extensions from 1: the offer's id, which the server must reuse.
    for (const packet of packets) {
      const extension = packet.header.extensions.find((e) => e.id === 1);
      assert.ok(extension, `packet ${packet.header.sequenceNumber} has no playout-delay extension`);
      assert.deepEqual([...extension.payload], payload);
    }
  };

  it('an offer with the extension gets it on every video packet as min = 0, max = 100 ms', async () => {
    // 12-bit min, 12-bit max, in 10 ms units: 0 and 10.
    carries(await receive(whep, true), [0, 0, 10]);
  });

  it('a viewer may ask for its own: 0-0 (render at once), or off', async () => {
    carries(await receive(`${whep}?playout-delay=0-0`, true), [0, 0, 0]);
    const packets = await receive(`${whep}?playout-delay=off`, true, false);
    for (const packet of packets) assert.deepEqual(packet.header.extensions, []);
  });

  it('a playout-delay that is not off or MIN-MAX ms is refused before any session exists', async () => {
    for (const bad of ['100-0', 'fast', '0-50000']) {
      const response = await fetch(`${whep}?playout-delay=${bad}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp' },
        body: 'v=0\r\n',
      });
      const text = await response.text();
      assert.equal(response.status, 400, text);
      assert.match(text, /playout-delay=0-100/);
    }
    assert.throws(() => parsePlayoutDelay('7'), { code: 'BAD_PLAYOUT_DELAY' });
    assert.deepEqual(parsePlayoutDelay('20-250'), { minMs: 20, maxMs: 250 });
    // The 10 ms units straddle the middle byte: min 1234 ms (123), max 2500 ms (250).
    assert.deepEqual([...playoutDelayPayload({ minMs: 1234, maxMs: 2500 })], [0x07, 0xb0, 0xfa]);
  });

  it('an offer without it gets no header extension', async () => {
    const packets = await receive(whep, false);
    for (const packet of packets) assert.deepEqual(packet.header.extensions, []);
  });
});
