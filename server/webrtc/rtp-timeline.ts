/**
 * Turns the live clusters into RTP payloads with timestamps for one WebRTC viewer: the per-viewer
 * part of the WebRTC path, pure (the clock is passed in).
 *
 * A viewer starts at a keyframe. Frames sent to catch up (the current GOP when it joins, or again
 * after it asks for a picture with a PLI) get timestamps one tick apart, just after the last one
 * sent: the receiver decodes them as fast as they come and shows the last, instead of playing the
 * GOP out at its own pace behind the live picture. Live frames then go on from there with their
 * real spacing.
 */
import type { InitHeader, TrackInfo } from '../matroska/types.js';
import type { LiveCluster } from '../stream/timeline.js';
import { clusterFrames } from './blocks.js';
import { WebRtcError } from './errors.js';
import { type AvcConfig, avccNalUnits, packetizeH264, parseAvcC } from './h264.js';
import { opusPacketSamples } from './opus.js';

export type MediaKind = 'video' | 'audio';

export interface RtpOut {
  kind: MediaKind;
  payload: Buffer;
  timestamp: number;
  marker: boolean;
}

/** What of a stream WebRTC can carry, or why it cannot. */
export interface WebRtcTracks {
  video: TrackInfo;
  audio: TrackInfo | null;
  avc: AvcConfig;
}

/**
 * The tracks WebRTC sends: the first H.264 video track and the first Opus audio track. Throws
 * UNSUPPORTED_STREAM (HEVC, VP9 for now, AAC, …) or NO_STREAM with the reason a page can show.
 */
export function webRtcTracks(header: InitHeader | null): WebRtcTracks {
  if (!header) {
    throw new WebRtcError('NO_STREAM', 'The stream has not started yet.', 'Try again in a moment.');
  }
  const video = header.tracks.find((t) => t.kind === 'video');
  if (!video || video.codec !== 'h264') {
    throw new WebRtcError(
      'UNSUPPORTED_STREAM',
      video
        ? `The video is ${video.codec}; WebRTC viewers get H.264 only.`
        : 'The stream has no video track; WebRTC viewers need H.264 video.',
      'Watch the Matroska stream (live.mkv), or serve H.264 (ffmpeg -c:v libx264).',
    );
  }
  const audios = header.tracks.filter((t) => t.kind === 'audio');
  const audio = audios.find((t) => t.codec === 'opus') ?? null;
  if (audios.length > 0 && !audio) {
    throw new WebRtcError(
      'UNSUPPORTED_STREAM',
      `The sound is ${audios[0].codec}; WebRTC carries Opus only.`,
      'Watch the Matroska stream (live.mkv), or serve Opus sound (ffmpeg -c:a libopus).',
    );
  }
  if (!video.codecPrivate) {
    throw new WebRtcError(
      'UNSUPPORTED_STREAM',
      'The H.264 track has no CodecPrivate (avcC) with its parameter sets.',
      'Serve H.264 in Matroska as ffmpeg writes it (-c:v libx264 -f matroska).',
    );
  }
  return { video, audio, avc: parseAvcC(video.codecPrivate) };
}

export interface TimelineOptions {
  /** Bytes of RTP payload at most (an MTU of 1500 less IP, UDP, RTP, SRTP and extensions). */
  maxPayloadBytes: number;
}

const VIDEO_HZ = 90_000;
const AUDIO_HZ = 48_000;

interface TrackClock {
  /** Added to a frame's own timestamp; null until the first frame. */
  offset: number | null;
  lastTs: number;
  lastSentMs: number;
}

export class RtpTimeline {
  private readonly video: TrackClock;
  private readonly audio: TrackClock;
  private waitingForKeyframe = true;

  constructor(
    private readonly tracks: WebRtcTracks,
    private readonly header: InitHeader,
    private readonly options: TimelineOptions,
    /** Random RTP timestamp starts (RFC 3550 §5.1), passed in so tests are repeatable. */
    start: { video: number; audio: number },
  ) {
    this.video = { offset: null, lastTs: start.video >>> 0, lastSentMs: 0 };
    this.audio = { offset: null, lastTs: start.audio >>> 0, lastSentMs: 0 };
  }

  /** True until the first keyframe has been sent. */
  get waiting(): boolean {
    return this.waitingForKeyframe;
  }

  /** From now on, send nothing of the video until a keyframe (the receiver lost its picture). */
  waitForKeyframe(): void {
    this.waitingForKeyframe = true;
  }

  /**
   * The payloads of one cluster. `catchUp`: frames of the past, sent to rebuild the picture (no sound,
   * timestamps one tick apart). Video before the first keyframe is left out.
   */
  packets(live: LiveCluster, nowMs: number, catchUp = false): RtpOut[] {
    const out: RtpOut[] = [];
    const frames = clusterFrames(live.cluster, this.header.timestampScaleNs, live.ts);
    let lacedTimeNs = -1;
    let laced = 0;
    for (const frame of frames) {
      if (frame.track === this.tracks.video.number) {
        if (this.waitingForKeyframe && !frame.keyframe) continue;
        this.waitingForKeyframe = false;
        const units = avccNalUnits(frame.data, this.tracks.avc.lengthSize);
        const payloads = packetizeH264(units, this.tracks.avc, this.options.maxPayloadBytes);
        if (payloads.length === 0) continue;
        const ts = this.stamp(this.video, (frame.timeNs * VIDEO_HZ) / 1e9, VIDEO_HZ, nowMs, catchUp);
        payloads.forEach((payload, i) =>
          out.push({ kind: 'video', payload, timestamp: ts, marker: i === payloads.length - 1 }),
        );
      } else if (this.tracks.audio && frame.track === this.tracks.audio.number && !catchUp) {
        if (this.waitingForKeyframe) continue;
        // Laced packets share their block's time; each one after the first follows the one before.
        laced = frame.timeNs === lacedTimeNs ? laced : 0;
        lacedTimeNs = frame.timeNs;
        const own = (frame.timeNs * AUDIO_HZ) / 1e9 + laced;
        laced += opusPacketSamples(frame.data);
        const ts = this.stamp(this.audio, own, AUDIO_HZ, nowMs, false);
        out.push({ kind: 'audio', payload: frame.data, timestamp: ts, marker: false });
      }
    }
    return out;
  }

  private stamp(clock: TrackClock, mediaTs: number, hz: number, nowMs: number, catchUp: boolean): number {
    const own = Math.round(mediaTs);
    let ts: number;
    if (catchUp) {
      ts = clock.lastTs + 1;
      clock.offset = null; // the next live frame is placed afresh after these
    } else {
      // Frames may go back a little (B-frames are sent in decode order with their presentation
      // times); more than a second back is a new start.
      if (clock.offset === null || !after(own + clock.offset, clock.lastTs - hz)) {
        // First frame, or after a catch-up or a jump back: go on from the last timestamp sent, as far
        // on as real time has gone since (at least one tick).
        const elapsed =
          clock.lastSentMs === 0 ? 1 : Math.max(1, Math.round(((nowMs - clock.lastSentMs) * hz) / 1000));
        clock.offset = clock.lastTs + elapsed - own;
      }
      ts = own + clock.offset;
    }
    ts = ts >>> 0;
    clock.lastTs = ts;
    clock.lastSentMs = nowMs;
    return ts;
  }
}

/** `a` is later than `b` in 32-bit RTP timestamp arithmetic. */
function after(a: number, b: number): boolean {
  const diff = ((a >>> 0) - (b >>> 0)) >>> 0;
  return diff !== 0 && diff < 0x8000_0000;
}
