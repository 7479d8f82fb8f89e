/** What the MatroskaReader yields: the init header once (again after a new EBML header), then clusters. */

export type TrackKind = 'video' | 'audio' | 'subtitle' | 'other';

export interface TrackInfo {
  /** TrackNumber, as used in block headers. */
  number: number;
  kind: TrackKind;
  /** Matroska CodecID, e.g. `V_MPEG4/ISO/AVC`. */
  codecId: string;
  /** Short codec name for people: h264, hevc, vp8, vp9, av1, aac, opus, vorbis, … (codecId lower-cased when unknown). */
  codec: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
  /**
   * SHA-1 of CodecPrivate (H.264's SPS/PPS, …), when present: a restarted encoder's stream can be
   * spliced into the running one only when this is unchanged.
   */
  codecPrivateHash?: string;
  /** CodecPrivate itself (H.264's avcC, Opus's OpusHead), shared with the header's bytes. */
  codecPrivate?: Buffer;
}

export interface InitHeader {
  /**
   * EBML head + Segment (ID and an unknown-size field) + the top-level elements before the first
   * Cluster except SeekHead, Cues, Void and CRC-32 (so Info, Tracks, Tags, Chapters, Attachments).
   * This is what every viewer receives first.
   */
  bytes: Buffer;
  docType: 'matroska' | 'webm';
  /** Info/TimestampScale in nanoseconds (default 1 000 000: cluster timestamps in ms). */
  timestampScaleNs: number;
  tracks: TrackInfo[];
}

export interface Cluster {
  /** The whole Cluster element, byte-exact as it came in (ID, size field and children). */
  bytes: Buffer;
  /** Cluster Timestamp in TimestampScale units, as read. */
  timestamp: number;
  /**
   * True when this cluster can start a segment: its first video block is a keyframe, or the stream has
   * no video track at all (audio-only: every cluster).
   */
  keyframe: boolean;
  /** Offset in `bytes` just past the Timestamp element: `bytes.subarray(timestampEnd)` is shared as is. */
  timestampEnd: number;
  /** Offset in `bytes` where the Cluster's children start (just past its ID and size field). */
  payloadStart: number;
  /** The size field was the reserved "unknown" value. */
  unknownSize: boolean;
  /** Largest block timestamp in the cluster relative to `timestamp` (0 when it has no block), scale units. */
  lastBlockOffset: number;
  /** Blocks of a video track in the cluster: its video frames (absent where a test builds a cluster by hand). */
  videoFrames?: number;
  /**
   * In a cluster that starts with a keyframe: the video blocks after it whose timestamp is before the
   * keyframe's, as (start, end) offset pairs in `bytes`. In an open GOP these leading frames refer to the
   * GOP before, which a viewer that starts here never had (ffmpeg: "Missing reference picture", "mmco:
   * unref short failure"); such a viewer gets the cluster without them. Absent when there is none.
   */
  leadingBlocks?: number[];
}

export type ReaderEvent = { kind: 'header'; header: InitHeader } | { kind: 'cluster'; cluster: Cluster };
