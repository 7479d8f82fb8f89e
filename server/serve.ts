import type { Readable } from 'node:stream';
import type { StreamState } from './api.js';
import { locateFfmpeg } from './ffmpeg/locate.js';
import { StreamServer } from './http/server.js';
import { runPipeline, type PipelineNotice } from './input/pipeline.js';
import { HttpIngestSource } from './input/http-ingest.js';
import { PushSource } from './input/push-source.js';
import type { PushEvent } from './input/push-slot.js';
import { sourceFor, type InputSource } from './input/sources.js';
import { Publisher } from './stream/publisher.js';
import { endViewers } from './stream/end-viewers.js';
import { DEFAULT_VIEWER_POLICY } from './stream/viewer.js';
import { checkOutputOptions, Outputs } from './output/outputs.js';
import type { PortRange } from './webrtc/ports.js';
import { WhepEndpoint } from './webrtc/whep.js';
import { DEFAULT_WEBRTC_VIEWER_OPTIONS, type JoinMode } from './webrtc/webrtc-viewer.js';

export interface ServeOptions {
  /** A file, `-` (or undefined) for stdin, a URL, or `tcp://HOST:PORT`. */
  input: string | undefined;
  /** `--ingest`: the input is pushed to `PUT /<key>/ingest` on the HTTP port (`input` is then unused). */
  ingestKey?: string | null;
  /** Builds the input instead of `input` (`mkvcast demo`), given how to find ffmpeg. */
  source?: (ffmpeg: () => string) => InputSource;
  host: string;
  port: number;
  maxViewers: number;
  /** Viewers at once from one address (StreamServer's default, 8, when absent). */
  maxViewersPerAddress?: number;
  /** The one origin whose pages may read the stream and /status; none when absent. */
  cors?: string | null;
  maxLagMs: number;
  fastStartSegments: number;
  token: string | null;
  loop: boolean;
  ffmpegPath?: string;
  stdin?: Readable;
  now?: () => number;
  /** No byte from an open input for this long puts the stream in `stalled` (default 5 s). */
  stallMs?: number;
  /** One line for people about a change of the input (stalled, tracks changed, pusher gone). */
  /** `problem`: a recording or push failed, which --quiet still shows. */
  onNotice?: (message: string, problem?: boolean) => void;
  /** `--record FILE`, `--push URL`…, `--max-upload MBIT` (server/output/outputs.ts). */
  record?: string | null;
  pushes?: readonly string[];
  maxUploadMbit?: number | null;
  pushBackoffMs?: readonly number[];
  /** WebRTC viewers (WHEP): on unless false; UDP ports from `webrtcPorts` (any free one when null). */
  webrtc?: boolean;
  webrtcPorts?: PortRange | null;
  /** How a WebRTC viewer joins (default: the current GOP at once); the bench compares the two. */
  webrtcJoin?: JoinMode;
}

/** How long viewers get to receive the rest of their queue when serving stops. */
const STOP_GRACE_MS = 1000;

/** How long viewers get to receive the rest of their queue after the input ends. */
const END_GRACE_MS = 5000;

/**
 * `mkvcast serve`: an input, the segmenting publisher and the HTTP server, started together. `done`
 * resolves when the input has ended and the viewers have their clean end of stream (or `stop()` was
 * called), and rejects with the input's error.
 */
export class ServeService {
  readonly publisher: Publisher;
  readonly server: StreamServer;
  readonly source: InputSource;
  private readonly abort = new AbortController();
  private state: StreamState = 'waiting';
  private finished: Promise<void> | null = null;
  private stopping = false;
  private readonly ffmpegPath: () => string;
  /** The recording and pushes, from start() on. */
  outputs: Outputs | null = null;
  private settleReady: { resolve: (live: boolean) => void; reject: (error: unknown) => void } | null = null;
  /**
   * Resolves with true when the input has sent its first frames, or at once for an input that waits
   * for a push (TCP); with false when stopped before; rejects with the input's error if it fails before
   * its first frames, once the server is closed.
   */
  readonly ready: Promise<boolean>;

  constructor(private readonly options: ServeOptions) {
    this.ready = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.ready.catch(() => {}); // a caller that only awaits `done` hears of the error there
    const now = options.now ?? (() => performance.now());
    let ffmpeg: string | null = null;
    // Located on first use: Matroska on stdin or TCP never needs ffmpeg.
    const ffmpegPath = (): string => (ffmpeg ??= locateFfmpeg(options.ffmpegPath));
    this.ffmpegPath = ffmpegPath;
    checkOutputOptions(options);
    const onPushEvent = (event: PushEvent): void => this.onPushEvent(event);
    const ingest = options.ingestKey
      ? new HttpIngestSource({ ffmpeg: ffmpegPath, now: options.now, onPushEvent })
      : null;
    this.source =
      ingest ??
      options.source?.(ffmpegPath) ??
      sourceFor(options.input, options.stdin ?? process.stdin, ffmpegPath, { now: options.now, onPushEvent });
    this.publisher = new Publisher({
      fastStartSegments: options.fastStartSegments,
      policy: { ...DEFAULT_VIEWER_POLICY, maxLagMs: options.maxLagMs },
      now,
    });
    this.server = new StreamServer({
      host: options.host,
      port: options.port,
      maxViewers: options.maxViewers,
      maxViewersPerAddress: options.maxViewersPerAddress,
      cors: options.cors,
      token: options.token,
      publisher: this.publisher,
      source: () => ({ state: this.state, input: this.source.description }),
      whep:
        options.webrtc === false
          ? undefined
          : new WhepEndpoint(this.publisher, {
              portRange: options.webrtcPorts ?? null,
              viewer: { ...DEFAULT_WEBRTC_VIEWER_OPTIONS, join: options.webrtcJoin ?? 'current-gop' },
            }),
      ingest:
        ingest && options.ingestKey
          ? { key: options.ingestKey, handle: (req, res) => ingest.handle(req, res) }
          : undefined,
      outputs: {
        status: () =>
          this.outputs?.status() ?? {
            upload: { copies: this.publisher.viewerCount, mbitPerSec: 0, maxMbitPerSec: null },
            pushes: [],
            recording: null,
          },
        refusal: () => this.outputs?.refusal() ?? null,
      },
    });
  }

  /** Listens (HTTP, and the TCP input when there is one), then starts reading the input. */
  async start(): Promise<{ port: number }> {
    const { port } = await this.server.listen();
    const tcp = this.source as InputSource & { listen?: () => Promise<number> };
    try {
      if (tcp.listen) await tcp.listen();
    } catch (error) {
      await this.server.close();
      throw error;
    }
    try {
      this.outputs = new Outputs(this.publisher, {
        record: this.options.record,
        pushes: this.options.pushes,
        maxUploadMbit: this.options.maxUploadMbit,
        pushBackoffMs: this.options.pushBackoffMs,
        ffmpeg: this.ffmpegPath,
        onNotice: this.options.onNotice,
      });
    } catch (error) {
      await this.server.close();
      await this.source.close();
      throw error;
    }
    this.finished = this.run();
    this.finished.catch(() => {}); // reported through `done` and `ready`, whichever the caller awaits
    if (this.waitsForPush) this.markReady(true);
    return { port };
  }

  get done(): Promise<void> {
    if (!this.finished) throw new Error('ServeService.done before start()');
    return this.finished;
  }

  get streamState(): StreamState {
    return this.state;
  }

  /** A pushed input (TCP, HTTP ingest) takes the next push when one ends: the server outlives its pushers. */
  private get isPushed(): boolean {
    return this.source instanceof PushSource;
  }

  private onPushEvent(event: PushEvent): void {
    const say = this.options.onNotice ?? (() => {});
    const input = this.source.description;
    switch (event.kind) {
      case 'connected':
        return say(`A pusher connected to ${input} from ${event.address}.`);
      case 'came-back':
        return say(
          `A pusher is back on ${input}, from ${event.address}, after ${(event.awayMs / 1000).toFixed(1)} s.`,
        );
      case 'taken-over':
        return say(
          `The pusher from ${event.address} delivered no complete cluster for ${(event.silentMs / 1000).toFixed(1)} s: the push from ${event.by} takes over.`,
        );
      case 'refused':
        return say(
          `Refused a push from ${event.address}: the pusher from ${event.activeAddress} is sending (it can be taken over after ${(event.takeoverInMs / 1000).toFixed(1)} s more without a complete cluster)${event.alsoRefused ? `; ${event.alsoRefused} more refused since the last such line` : ''}.`,
        );
      case 'left':
        return; // said with the pipeline's run-ended, which knows whether it stopped mid-frame
    }
  }

  /** The input is a listener that waits for a stream to be pushed to it: there is nothing to check before. */
  get waitsForPush(): boolean {
    return this.isPushed;
  }

  private markReady(live: boolean, error: unknown = null): void {
    const settle = this.settleReady;
    this.settleReady = null;
    if (!settle) return;
    if (error === null) settle.resolve(live);
    else settle.reject(error);
  }

  private onPipelineNotice(notice: PipelineNotice): void {
    const input = this.source.description;
    const say = this.options.onNotice ?? (() => {});
    switch (notice.kind) {
      case 'stalled':
        this.state = 'stalled';
        say(
          `Nothing has come from ${input} for ${Math.floor(notice.silentMs / 1000)} s; viewers stay connected and go on when it sends again.`,
        );
        return;
      case 'resumed':
        this.state = 'live';
        say(`${input} is sending again, after ${(notice.silentMs / 1000).toFixed(1)} s.`);
        return;
      case 'restarted':
        say(
          `The input's tracks changed: ${notice.viewersEnded} viewer(s) got the end of the old stream (players cannot switch tracks mid-stream) and get the new one when they open the link again.`,
        );
        return;
      case 'run-failed':
        this.state = 'waiting';
        say(`A push to ${input} was dropped: ${notice.message} Waiting for the next one.`);
        return;
      case 'discontinuity':
        say(
          `The timestamps of ${input} jumped ${notice.jumpMs > 0 ? 'forward' : 'back'} by ${formatJump(notice.jumpMs)}; the stream goes on from the previous frame.`,
        );
        return;
      case 'run-ended':
        if (!this.isPushed) return; // a looped file starts again at once
        this.state = 'waiting';
        say(
          `The pusher on ${input} went away${notice.truncated ? ' in the middle of a frame' : ''}${this.pusherFrom()}; waiting for it to come back (viewers stay connected; Ctrl-C stops).`,
        );
        return;
    }
  }

  private pusherFrom(): string {
    const address = this.source instanceof PushSource ? this.source.lastPusherAddress : null;
    return address ? ` (it pushed from ${address})` : '';
  }

  private async run(): Promise<void> {
    let failure: unknown = null;
    try {
      await runPipeline(this.source, this.publisher, {
        loop: this.options.loop || this.isPushed,
        waitsForInput: this.isPushed,
        leadMs: 3000,
        now: this.options.now ?? (() => performance.now()),
        signal: this.abort.signal,
        stallMs: this.options.stallMs,
        onLive: () => {
          this.state = 'live';
          this.markReady(true);
        },
        onNotice: (notice) => this.onPipelineNotice(notice),
      });
      this.state = 'ended';
      await this.waitForViewersToFinish();
    } catch (error) {
      this.state = 'error';
      failure = error;
      throw error;
    } finally {
      // The recording is finished and the pushes get the end of the stream before the server goes.
      this.publisher.end();
      await this.outputs?.stop();
      await this.server.close();
      // Failed, or stopped before the first frame (an input without frames fails).
      this.markReady(false, failure);
    }
  }

  private async waitForViewersToFinish(): Promise<void> {
    const deadline = Date.now() + END_GRACE_MS;
    while (this.publisher.viewerCount > 0 && Date.now() < deadline && !this.stopping) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Stops reading, ends the viewers' streams (a clean end within a second; those still not done, often
   * peers that stopped reading, are then reset) and closes the server. Idempotent.
   */
  stop(): Promise<void> {
    this.stopped ??= this.stopOnce();
    return this.stopped;
  }

  private stopped: Promise<void> | null = null;

  private async stopOnce(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    await endViewers(this.publisher, STOP_GRACE_MS);
    this.publisher.closeAll('server stopped');
    if (this.finished) await this.finished.catch(() => {});
    else await this.source.close();
  }
}

/** A timestamp jump for the log: `3.2 s`, `1.0 h`, `12 days`. */
function formatJump(jumpMs: number): string {
  const sec = Math.abs(jumpMs) / 1000;
  if (sec < 120) return `${sec.toFixed(1)} s`;
  if (sec < 7200) return `${(sec / 60).toFixed(1)} min`;
  if (sec < 172_800) return `${(sec / 3600).toFixed(1)} h`;
  return `${Math.round(sec / 86_400)} days`;
}
