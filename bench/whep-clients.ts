/**
 * N WebRTC viewers in one Node process (werift): each POSTs a recvonly H.264 offer to a WHEP URL and
 * counts the video frames it receives (RTP packets with the marker bit). Run apart from the server
 * (its CPU is measured alone):
 *
 *   node dist/bench/whep-clients.js URL N SECONDS [--decrypt]     prints JSON: connected, frames per second each
 *
 * To keep the load cheap (50 of them share this machine's 2 cores with the server), a client reads only
 * the RTP header, which SRTP leaves in the clear: each packet with the marker bit ends a frame, and the
 * packet goes no further into werift (no decryption, no parsing), except the first few, on which
 * werift starts its receiver reports. What the server does for it is the
 * same; RTCP, STUN and DTLS still go through werift, which sends the receiver reports the server waits
 * for. `--decrypt` lets werift decrypt and parse every packet, as a real receiver does.
 *
 * It prints `connected` once its viewers are in, and starts its window of SECONDS when a line comes on
 * its stdin (so that several such processes measure the same window), or at once without a stdin.
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

/** RTP, not RTCP (RFC 5761 §4: RTCP packet types 192–223 share the byte with marker and payload type). */
const isRtp = (data: Buffer): boolean =>
  data.length >= 12 && data[0] >> 6 === 2 && !((data[1] & 0x7f) >= 64 && (data[1] & 0x7f) < 96);

/** Counts frames from the clear RTP headers, and keeps RTP away from werift's decryption and parsing. */
function countHeaders(client: Client): void {
  const connection = client.pc.iceTransports[0]?.connection;
  if (!connection) throw new Error('no ICE transport after the answer');
  const execute = connection.onData.execute;
  // Until SRTP is up, and for a few packets after, RTP goes through: werift starts its receiver
  // reports (the server's sign of life) on the first it can decrypt.
  let passLeft = 30;
  connection.onData.execute = (data: Buffer) => {
    if (!isRtp(data)) return execute(data);
    if (passLeft > 0) {
      if (client.pc.connectionState === 'connected') passLeft -= 1;
      return execute(data);
    }
    if (data[1] & 0x80) client.frames += 1;
  };
}

async function connect(url: string, decrypt: boolean): Promise<Client> {
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
  if (decrypt) {
    pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        if (rtp.header.marker) client.frames += 1;
      });
    });
  }
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
  if (!decrypt) countHeaders(client);
  return client;
}

export async function runClients(
  url: string,
  count: number,
  seconds: number,
  decrypt = false,
): Promise<ClientsResult> {
  const failures: string[] = [];
  const clients: Client[] = [];
  // A few at a time: the point is the load of 50 watching, not of 50 handshakes at the same instant.
  for (let i = 0; i < count; i += 5) {
    const batch = await Promise.allSettled(
      Array.from({ length: Math.min(5, count - i) }, () => connect(url, decrypt)),
    );
    for (const result of batch) {
      if (result.status === 'fulfilled') clients.push(result.value);
      else failures.push(String(result.reason));
    }
  }
  // Settle (ICE, DTLS, the catch-up GOP), then count frames over the window.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  process.stdout.write('connected\n');
  if (!process.stdin.isTTY && process.stdin.readable) {
    await new Promise((resolve) => process.stdin.once('data', resolve).once('end', resolve));
    process.stdin.pause();
  }
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
  const result = await runClients(url, Number(count), Number(seconds), process.argv.includes('--decrypt'));
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}
