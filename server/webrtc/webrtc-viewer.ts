/**
 * A viewer whose transport is a WebRTC peer connection (werift: ICE, DTLS, SRTP) instead of an HTTP
 * response. The Publisher treats it as any viewer (joins, fan-out, /status, kick, the viewer cap);
 * what is WebRTC's own is here: RTP out through the library's senders, PLI answered by sending the
 * current GOP again, and a peer that stops sending RTCP (page killed, network gone) dropped within
 * seconds instead of after ICE consent's 30 s. NACKs are answered by werift's sender from its own
 * cache of recent packets.
 */
import { EventEmitter } from 'node:events';
import { RtpHeader, RtpPacket, type RTCPeerConnection, type RTCRtpSender } from 'werift';
import type { ViewerInfo } from '../api.js';
import type { LiveCluster } from '../stream/timeline.js';
import type { ViewerCloseReason, ViewerMeta } from '../stream/viewer.js';
import { DEFAULT_PACER_OPTIONS, RtpPacer, type PacerOptions } from './pacer.js';
import type { MediaKind, RtpOut, RtpTimeline } from './rtp-timeline.js';

export type JoinMode = 'current-gop' | 'next-keyframe';

export interface WebRtcViewerOptions {
  join: JoinMode;
  /** No RTCP from the peer for this long after it connected: it is gone. */
  silentPeerMs: number;
  /** Not connected (ICE + DTLS) this long after the answer: give up. */
  connectTimeoutMs: number;
  /** PLIs answered with the current GOP at most this often; the others are only counted. */
  minPictureIntervalMs: number;
  /** The send queue: its rate, burst and bounds (a viewer behind by more skips to the next keyframe). */
  pacer: PacerOptions;
  /** The playout-delay header extension sent on every video packet (negotiated id, payload); null: not sent. */
  playoutDelay: { id: number; payload: Buffer } | null;
  now: () => number;
}

export const DEFAULT_WEBRTC_VIEWER_OPTIONS: WebRtcViewerOptions = {
  join: 'current-gop',
  silentPeerMs: 4000,
  // ICE and DTLS on a LAN take well under a second; a peer that never completes them holds a place.
  connectTimeoutMs: 10_000,
  minPictureIntervalMs: 1000,
  pacer: DEFAULT_PACER_OPTIONS,
  playoutDelay: null,
  now: () => performance.now(),
};

interface Outlet {
  sender: RTCRtpSender;
  sequence: number;
}

export class WebRtcViewer extends EventEmitter {
  private closed = false;
  private connected = false;
  private ended = false;
  private startedFlag = false;
  private readonly outlets: Partial<Record<MediaKind, Outlet>> = {};
  private readonly since = new Date();
  private bytesSent = 0;
  private lastRtcpMs: number;
  private lastPictureMs = -Infinity;
  private plis = 0;
  private failures = 0;
  private rttMs: number | null = null;
  private lossPercent: number | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly pacer: RtpPacer;
  private drainTimer: NodeJS.Timeout | null = null;
  private readonly unsubscribes: (() => void)[] = [];

  constructor(
    readonly meta: ViewerMeta,
    private readonly pc: RTCPeerConnection,
    senders: Partial<Record<MediaKind, RTCRtpSender>>,
    private readonly timeline: RtpTimeline,
    /** The clusters from the latest keyframe to now (the Publisher's current GOP). */
    private readonly currentGop: () => LiveCluster[],
    private readonly options: WebRtcViewerOptions,
  ) {
    super();
    this.lastRtcpMs = options.now();
    this.pacer = new RtpPacer(options.pacer, this.lastRtcpMs);
    for (const kind of ['video', 'audio'] as const) {
      const sender = senders[kind];
      if (!sender) continue;
      this.outlets[kind] = { sender, sequence: Math.floor(Math.random() * 0x10000) };
      this.unsubscribes.push(
        sender.onRtcp.subscribe(() => (this.lastRtcpMs = this.options.now())).unSubscribe,
      );
    }
    const video = senders.video;
    if (video)
      this.unsubscribes.push(video.onPictureLossIndication.subscribe(() => this.pictureLost()).unSubscribe);
    this.unsubscribes.push(
      pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected') this.onConnected();
        else if (state === 'failed' || state === 'closed') this.close('client closed');
      }).unSubscribe,
    );
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  get started(): boolean {
    return this.startedFlag;
  }

  /** The Publisher's start: the header is read through the timeline; the burst waits for the connection. */
  start(): void {
    this.startedFlag = true;
  }

  push(cluster: LiveCluster): void {
    if (this.closed || !this.connected || this.ended) return;
    let packets: RtpOut[];
    try {
      packets = this.timeline.packets(cluster, this.options.now());
    } catch (error) {
      // A block this viewer cannot packetize (a damaged frame) must not stop the Publisher's fan-out:
      // this viewer waits for the next keyframe, the others go on.
      this.failures += 1;
      this.timeline.waitForKeyframe();
      this.emit('packetize-error', error);
      return;
    }
    this.send(packets);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.close('stream ended');
  }

  close(reason: ViewerCloseReason): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = null;
    this.pacer.clear();
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    this.pc.close().catch(() => undefined);
    this.emit('close', reason);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  info(): ViewerInfo {
    return {
      id: this.meta.id,
      address: this.meta.address,
      client: this.meta.client,
      userAgent: this.meta.userAgent,
      since: this.since.toISOString(),
      bytesSent: this.bytesSent,
      lagMs: Math.round(this.pacer.lagMs(this.options.now())),
      skips: this.pacer.skips,
      transport: 'webrtc',
      rttMs: this.rttMs,
      lossPercent: this.lossPercent,
      pictureRequests: this.plis,
    };
  }

  private onConnected(): void {
    if (this.connected || this.closed) return;
    this.connected = true;
    this.lastRtcpMs = this.options.now();
    if (this.options.join === 'current-gop') this.sendCurrentGop();
  }

  /** The GOP so far, as catch-up frames: the receiver decodes them at once and shows the last. */
  private sendCurrentGop(): void {
    const now = this.options.now();
    this.lastPictureMs = now;
    this.timeline.waitForKeyframe();
    // What is still queued is older than this picture: it goes.
    this.pacer.clear();
    try {
      for (const cluster of this.currentGop()) this.send(this.timeline.packets(cluster, now, true));
    } catch {
      this.failures += 1;
      this.timeline.waitForKeyframe();
    }
  }

  private pictureLost(): void {
    this.plis += 1;
    if (!this.connected || this.closed) return;
    if (this.options.now() - this.lastPictureMs < this.options.minPictureIntervalMs) return;
    this.sendCurrentGop();
  }

  /** Queues packets; the pacer lets them out at its rate. A queue too old or too big: skip to a keyframe. */
  private send(packets: RtpOut[]): void {
    if (!this.pacer.add(packets, this.options.now())) {
      this.timeline.waitForKeyframe();
      this.emit('skip');
      return;
    }
    this.drain();
  }

  private drain(): void {
    // A drain is already due when the budget allows: it sends these too.
    if (this.closed || this.drainTimer) return;
    this.write(this.pacer.take(this.options.now()));
    const waitMs = this.pacer.waitMs();
    if (waitMs === null) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = null;
      this.drain();
    }, waitMs);
  }

  private write(packets: RtpOut[]): void {
    for (const packet of packets) {
      const outlet = this.outlets[packet.kind];
      if (!outlet) continue;
      outlet.sequence = (outlet.sequence + 1) & 0xffff;
      const header = new RtpHeader({
        sequenceNumber: outlet.sequence,
        timestamp: packet.timestamp,
        marker: packet.marker,
        ...(packet.kind === 'video' && this.options.playoutDelay !== null
          ? { extension: true, extensions: [this.options.playoutDelay] }
          : {}),
      });
      this.bytesSent += packet.payload.length;
      // The sender stamps SSRC and payload type, encrypts and sends at once (UDP: nothing queues here).
      outlet.sender.sendRtp(new RtpPacket(header, packet.payload)).catch(() => undefined);
    }
  }

  private tick(): void {
    const now = this.options.now();
    if (!this.connected) {
      if (now - this.lastRtcpMs > this.options.connectTimeoutMs) this.close('stalled');
      return;
    }
    if (now - this.lastRtcpMs > this.options.silentPeerMs) return this.close('stalled');
    const video = this.outlets.video?.sender;
    if (!video) return;
    video
      .getStats()
      .then((report) => {
        for (const stats of report.values() as Iterable<Record<string, unknown>>) {
          if (stats.type !== 'remote-inbound-rtp') continue;
          if (typeof stats.roundTripTime === 'number') this.rttMs = Math.round(stats.roundTripTime * 1000);
          if (typeof stats.fractionLost === 'number')
            this.lossPercent = Math.round(stats.fractionLost * 1000) / 10;
        }
      })
      .catch(() => undefined);
  }
}
