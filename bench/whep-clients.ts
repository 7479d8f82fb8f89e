/**
 * N WebRTC viewers in one Node process (werift): each POSTs a recvonly H.264 offer to a WHEP URL and
 * counts the video frames it receives (RTP packets with the marker bit). Run apart from the server
 * (its CPU is measured alone):
 *
 *   node dist/bench/whep-clients.js URL N SECONDS     prints JSON: connected, frames per second each
 */
import { fileURLToPath } from 'node:url';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';

export interface ClientsResult {
  requested: number;
  connected: number;
  /** Video frames a second each viewer received over the measured window, sorted. */
  fps: number[];
  failures: string[];
}

interface Client {
  pc: RTCPeerConnection;
  frames: number;
  session: string | null;
}

async function connect(url: string): Promise<Client> {
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
    iceServers: [],
    iceUseIpv6: false,
  });
  const client: Client = { pc, frames: 0, session: null };
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      if (rtp.header.marker) client.frames += 1;
    });
  });
  await pc.setLocalDescription(await pc.createOffer());
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp' },
    body: pc.localDescription!.sdp,
  });
  const body = await response.text();
  if (response.status !== 201) {
    await pc.close();
    throw new Error(`${response.status}: ${body.trim()}`);
  }
  client.session = new URL(response.headers.get('location')!, url).href;
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  return client;
}

export async function runClients(url: string, count: number, seconds: number): Promise<ClientsResult> {
  const failures: string[] = [];
  const clients: Client[] = [];
  // A few at a time: the point is the load of 50 watching, not of 50 handshakes at the same instant.
  for (let i = 0; i < count; i += 5) {
    const batch = await Promise.allSettled(
      Array.from({ length: Math.min(5, count - i) }, () => connect(url)),
    );
    for (const result of batch) {
      if (result.status === 'fulfilled') clients.push(result.value);
      else failures.push(String(result.reason));
    }
  }
  // Settle (ICE, DTLS, the catch-up GOP), then count frames over the window.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const start = clients.map((c) => c.frames);
  const startMs = performance.now();
  process.stdout.write('measuring\n');
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const elapsedSec = (performance.now() - startMs) / 1000;
  const fps = clients
    .map((c, i) => Math.round(((c.frames - start[i]) / elapsedSec) * 10) / 10)
    .sort((a, b) => a - b);
  await Promise.all(
    clients.map(async (c) => {
      if (c.session) await fetch(c.session, { method: 'DELETE' }).catch(() => undefined);
      await c.pc.close().catch(() => undefined);
    }),
  );
  return { requested: count, connected: clients.filter((_, i) => fps[i] > 0).length, fps, failures };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [url, count, seconds] = process.argv.slice(2);
  const result = await runClients(url, Number(count), Number(seconds));
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}
