import type { Readable } from 'node:stream';
import type { StreamState } from './api.js';
import { locateFfmpeg } from './ffmpeg/locate.js';
import { StreamServer } from './http/server.js';
import { runPipeline, type PipelineNotice } from './input/pipeline.js';
import { sourceFor, type InputSource } from './input/sources.js';
import { Publisher } from './stream/publisher.js';
import { DEFAULT_VIEWER_POLICY } from './stream/viewer.js';

export interface ServeOptions {
  /** A file, `-` (or undefined) for stdin, a URL, or `tcp://HOST:PORT`. */
  input: string | undefined;
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
  onNotice?: (message: string) => void;
}

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

  constructor(private readonly options: ServeOptions) {
    const now = options.now ?? (() => performance.now());
    let ffmpeg: string | null = null;
    // Located on first use: Matroska on stdin or TCP never needs ffmpeg.
    const ffmpegPath = (): string => (ffmpeg ??= locateFfmpeg(options.ffmpegPath));
    this.source = sourceFor(options.input, options.stdin ?? process.stdin, ffmpegPath);
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
    this.finished = this.run();
    return { port };
  }

  get done(): Promise<void> {
    if (!this.finished) throw new Error('ServeService.done before start()');
    return this.finished;
  }

  get streamState(): StreamState {
    return this.state;
  }

  /** A TCP input takes the next push when one ends, as if looped: the server outlives its pushers. */
  private get isTcp(): boolean {
    return 'listen' in this.source;
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
      case 'run-ended':
        if (!this.isTcp) return; // a looped file starts again at once
        this.state = 'waiting';
        say(
          `The pusher on ${input} went away${notice.truncated ? ' in the middle of a frame' : ''}; waiting for it to come back (viewers stay connected; Ctrl-C stops).`,
        );
        return;
    }
  }

  private async run(): Promise<void> {
    try {
      await runPipeline(this.source, this.publisher, {
        loop: this.options.loop || this.isTcp,
        waitsForInput: this.isTcp,
        leadMs: 3000,
        now: this.options.now ?? (() => performance.now()),
        signal: this.abort.signal,
        stallMs: this.options.stallMs,
        onLive: () => {
          this.state = 'live';
        },
        onNotice: (notice) => this.onPipelineNotice(notice),
      });
      this.state = 'ended';
      await this.waitForViewersToFinish();
    } catch (error) {
      this.state = 'error';
      throw error;
    } finally {
      await this.server.close();
    }
  }

  private async waitForViewersToFinish(): Promise<void> {
    const deadline = Date.now() + END_GRACE_MS;
    while (this.publisher.viewerCount > 0 && Date.now() < deadline && !this.stopping) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops reading, drops the viewers and closes the server. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    this.publisher.closeAll('server stopped');
    if (this.finished) await this.finished.catch(() => {});
    else await this.source.close();
  }
}
