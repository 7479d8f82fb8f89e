/**
 * Chromium's playout-delay RTP header extension: when a WHEP offer lists it, every video packet the
 * server sends carries it as min = max = 0 (render at once, no jitter buffer); when the offer does
 * not, no packet carries it. A werift client on `mkvcast serve` receives and decrypts the packets.
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
import { PLAYOUT_DELAY_URI } from '../server/webrtc/whep.js';
import { makeMedia } from '../support/media.js';
import { killAll, waitFor } from '../support/processes.js';

/** Video packets received by a werift client whose offer lists playout-delay (as id 5) or not. */
async function receive(whep: string, offerPlayoutDelay: boolean): Promise<RtpPacket[]> {
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
    // The answer lists the extension only when the offer did.
    assert.equal(answer.includes(PLAYOUT_DELAY_URI), offerPlayoutDelay);
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

  it('an offer with the extension gets it on every video packet as min = max = 0', async () => {
    const packets = await receive(whep, true);
    // werift numbers the client's extensions from 1: the offer's id, which the server must reuse.
    for (const packet of packets) {
      const extension = packet.header.extensions.find((e) => e.id === 1);
      assert.ok(extension, `packet ${packet.header.sequenceNumber} has no playout-delay extension`);
      assert.deepEqual([...extension.payload], [0, 0, 0]);
    }
  });

  it('an offer without it gets no header extension', async () => {
    const packets = await receive(whep, false);
    for (const packet of packets) assert.deepEqual(packet.header.extensions, []);
  });
});
