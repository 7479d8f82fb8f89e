/**
 * WHEP sessions (RFC 9725): an SDP offer in, a WebRTC viewer and an SDP answer out, and the session
 * ended by DELETE. Everything that can be checked is checked before a peer connection exists, so a
 * bad offer allocates nothing. ICE gathers host candidates only (no STUN, no TURN: nothing leaves the
 * LAN) on UDP ports from the configured range; the answer carries them all (no trickle).
 */
import { randomBytes } from 'node:crypto';
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RTCRtpHeaderExtensionParameters,
  type RTCRtpSender,
} from 'werift';
import type { Publisher } from '../stream/publisher.js';
import type { ViewerMeta } from '../stream/viewer.js';
import { WebRtcError } from './errors.js';
import { checkOffer } from './offer.js';
import type { PortRange } from './ports.js';
import { RtpTimeline, webRtcTracks } from './rtp-timeline.js';
import { DEFAULT_WEBRTC_VIEWER_OPTIONS, WebRtcViewer, type WebRtcViewerOptions } from './webrtc-viewer.js';

export interface WhepOptions {
  portRange: PortRange | null;
  viewer: WebRtcViewerOptions;
  /** RTP payload bytes at most: 1200 keeps SRTP packets under any LAN's MTU, tunnels included. */
  maxPayloadBytes: number;
  /**
   * When the offer has Chromium's playout-delay header extension, send it with these bounds on every
   * video packet; null: do not negotiate it (the receiver's own jitter buffer decides).
   */
  playoutDelay: PlayoutDelay | null;
}

/** The playout-delay bounds sent to a receiver, in ms (rounded to the extension's 10 ms units). */
export interface PlayoutDelay {
  minMs: number;
  maxMs: number;
}

/** Chromium's playout-delay RTP header extension (12-bit min and max delay, in 10 ms units). */
export const PLAYOUT_DELAY_URI = 'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay';

/** The extension's largest delay: 12 bits of 10 ms units. */
export const MAX_PLAYOUT_DELAY_MS = 4095 * 10;

/** The extension's 3-byte payload: 12-bit min, then 12-bit max, in 10 ms units. */
export function playoutDelayPayload(delay: PlayoutDelay): Buffer {
  const units = (ms: number): number => Math.min(4095, Math.max(0, Math.round(ms / 10)));
  const [min, max] = [units(delay.minMs), units(delay.maxMs)];
  return Buffer.from([min >> 4, ((min & 0xf) << 4) | (max >> 8), max & 0xff]);
}

/**
 * Reads a playout-delay as given to a WHEP request (`?playout-delay=`): `off`, or `MIN-MAX` in ms
 * (0 ≤ MIN ≤ MAX ≤ 40950). Throws WebRtcError BAD_PLAYOUT_DELAY otherwise.
 */
export function parsePlayoutDelay(text: string): PlayoutDelay | null {
  if (text === 'off') return null;
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  const [minMs, maxMs] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!match || minMs > maxMs || maxMs > MAX_PLAYOUT_DELAY_MS) {
    throw new WebRtcError(
      'BAD_PLAYOUT_DELAY',
      `playout-delay "${text.slice(0, 40)}" is not "off" or MIN-MAX in ms.`,
      `Give playout-delay=off, or e.g. playout-delay=0-100 (0 ≤ MIN ≤ MAX ≤ ${MAX_PLAYOUT_DELAY_MS}).`,
    );
  }
  return { minMs, maxMs };
}

export const DEFAULT_WHEP_OPTIONS: WhepOptions = {
  portRange: null,
  viewer: DEFAULT_WEBRTC_VIEWER_OPTIONS,
  maxPayloadBytes: 1200,
  // min 0 with a max: Chromium's low-latency renderer, which still smooths. min = max = 0 renders each
  // frame at once and drops frames while the decoder is busy: ~20 vs ~27 frames/s shown (docs/benchmarks.md).
  playoutDelay: { minMs: 0, maxMs: 100 },
};

export class WhepEndpoint {
  private readonly sessions = new Map<string, WebRtcViewer>();
  /** Offers accepted under the viewer caps whose answer is still being made, by address. */
  private readonly pendingByAddress = new Map<string, number>();
  private pendingTotal = 0;
  private readonly options: WhepOptions;

  constructor(
    private readonly publisher: Publisher,
    options: Partial<WhepOptions> = {},
  ) {
    this.options = { ...DEFAULT_WHEP_OPTIONS, ...options };
  }

  /**
   * Answers an offer. Throws WebRtcError: NO_STREAM (nothing to send yet), UNSUPPORTED_STREAM (the
   * stream is not H.264 + Opus), BAD_OFFER, NO_H264. The caller has checked the viewer cap.
   */
  async answer(
    offer: string,
    meta: Omit<ViewerMeta, 'id'>,
    /** This viewer's own playout-delay (`?playout-delay=` on the WHEP request); absent: the server's. */
    own: { playoutDelay?: PlayoutDelay | null } = {},
  ): Promise<{ id: string; sdp: string }> {
    const playoutDelay = own.playoutDelay !== undefined ? own.playoutDelay : this.options.playoutDelay;
    const header = this.publisher.header;
    const tracks = webRtcTracks(header);
    const checked = checkOffer(offer, tracks.avc.profileLevelId);
    const [low, high] = this.options.portRange ?? [undefined, undefined];
    const pc = new RTCPeerConnection({
      codecs: {
        video: [
          new RTCRtpCodecParameters({
            mimeType: 'video/H264',
            clockRate: 90000,
            rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
            parameters: `profile-level-id=${checked.video.profileLevelId ?? '42e01f'};packetization-mode=1;level-asymmetry-allowed=1`,
          }),
        ],
        audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
      },
      headerExtensions: {
        video: playoutDelay ? [new RTCRtpHeaderExtensionParameters({ uri: PLAYOUT_DELAY_URI })] : [],
      },
      iceServers: [],
      iceUseIpv6: false,
      ...(low !== undefined && high !== undefined ? { icePortRange: [low, high] as [number, number] } : {}),
    });
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: checked.sdp });
      const senders: { video?: RTCRtpSender; audio?: RTCRtpSender } = {};
      let playoutDelayId: number | undefined;
      for (const transceiver of pc.getTransceivers()) {
        if (transceiver.mid === checked.video.mid) {
          transceiver.setDirection('sendonly');
          senders.video = transceiver.sender;
          // werift keeps the offer's id for each extension both sides know.
          playoutDelayId = transceiver.headerExtensions.find((e) => e.uri === PLAYOUT_DELAY_URI)?.id;
        } else if (tracks.audio && checked.audio && transceiver.mid === checked.audio.mid) {
          transceiver.setDirection('sendonly');
          senders.audio = transceiver.sender;
        } else {
          transceiver.setDirection('inactive');
        }
      }
      await pc.setLocalDescription(await pc.createAnswer());
      const sdp = pc.localDescription?.sdp;
      if (!sdp) throw new Error('no local description after setLocalDescription');
      const id = randomBytes(12).toString('base64url');
      const random = randomBytes(8);
      const timeline = new RtpTimeline(
        tracks,
        header!,
        { maxPayloadBytes: this.options.maxPayloadBytes },
        { video: random.readUInt32BE(0), audio: random.readUInt32BE(4) },
      );
      const viewer = new WebRtcViewer(
        { ...meta, id },
        pc,
        senders,
        timeline,
        () => this.publisher.currentGop(),
        {
          ...this.options.viewer,
          playoutDelay:
            playoutDelay && playoutDelayId !== undefined
              ? { id: playoutDelayId, payload: playoutDelayPayload(playoutDelay) }
              : null,
        },
      );
      this.sessions.set(id, viewer);
      viewer.once('close', () => this.sessions.delete(id));
      this.publisher.attach(viewer.meta, viewer);
      return { id, sdp };
    } catch (error) {
      await pc.close().catch(() => undefined);
      if (error instanceof WebRtcError) throw error;
      throw new WebRtcError(
        'BAD_OFFER',
        `The offer could not be answered: ${error instanceof Error ? error.message : String(error)}.`,
        'Send an SDP offer from a WebRTC stack with a recvonly H.264 video transceiver.',
        { cause: error },
      );
    }
  }

  /**
   * Holds a place under the viewer caps for an offer being read and answered: the viewer only counts
   * in the Publisher once attached, and a burst of POSTs must not all pass the cap meanwhile. The
   * returned function gives the place back (once; later calls do nothing).
   */
  reserve(address: string): () => void {
    this.pendingTotal += 1;
    this.pendingByAddress.set(address, (this.pendingByAddress.get(address) ?? 0) + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.pendingTotal -= 1;
      const left = (this.pendingByAddress.get(address) ?? 1) - 1;
      if (left > 0) this.pendingByAddress.set(address, left);
      else this.pendingByAddress.delete(address);
    };
  }

  /** Offers being answered now (places held by reserve). */
  get pending(): number {
    return this.pendingTotal;
  }

  /** Offers from `address` being answered now. */
  pendingFrom(address: string): number {
    return this.pendingByAddress.get(address) ?? 0;
  }

  /** Ends a session (DELETE). False when there is no such session. */
  end(id: string): boolean {
    const viewer = this.sessions.get(id);
    if (!viewer) return false;
    viewer.close('client closed');
    return true;
  }

  has(id: string): boolean {
    return this.sessions.has(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  closeAll(): void {
    for (const viewer of [...this.sessions.values()]) viewer.close('server stopped');
  }
}
