/**
 * The types that cross a boundary: the server's HTTP /status, the SharingSession the app and the CLI drive,
 * and the preload API. renderer/ may import types from here and nothing else from server/.
 */

export interface TrackSummary {
  number: number;
  kind: 'video' | 'audio' | 'subtitle' | 'other';
  codec: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
}

/** One connected viewer, as /status and the app's viewers table show it. */
export interface ViewerInfo {
  id: string;
  /** Remote address, e.g. `192.168.1.20` (IPv4-mapped IPv6 addresses are shown as IPv4). */
  address: string;
  /** A short client name from the User-Agent: VLC, mpv, ffmpeg, Chrome, Firefox, … or the raw product token. */
  client: string;
  userAgent: string;
  /** When the viewer connected (ISO 8601). */
  since: string;
  bytesSent: number;
  /** How long the oldest byte waiting for this viewer has waited, in ms (0 when it keeps up). */
  lagMs: number;
  /** Times this viewer fell more than the lag limit behind and was moved to the next keyframe. */
  skips: number;
}

export type StreamState = 'waiting' | 'live' | 'ended' | 'error';

/** What `GET /status` answers (JSON). */
export interface StreamStatus {
  state: StreamState;
  /** What is being served, e.g. `file demo.mkv`, `stdin`, `tcp://0.0.0.0:9000`, `screen :0`. */
  input: string;
  docType: 'matroska' | 'webm' | null;
  tracks: TrackSummary[];
  /** Input bitrate over the last few seconds, in kbit/s. */
  bitrateKbps: number;
  /** Video frames (or clusters, audio-only) per second over the last few seconds. */
  fps: number;
  segments: { held: number; bytes: number; keyframeIntervalMs: number };
  /** Time from a cluster reaching the server to its hand-over to every viewer's socket (last 512 clusters). */
  fanout: { p50Ms: number; p99Ms: number };
  uptimeSec: number;
  viewers: ViewerInfo[];
  maxViewers: number;
  /** Viewers disconnected for falling behind, and viewers refused at the cap, since start. */
  dropped: number;
  refused: number;
}
