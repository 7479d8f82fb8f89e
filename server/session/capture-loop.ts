import { setTimeout as sleep } from 'node:timers/promises';
import type { ScreenInfo } from '../api.js';
import type { FfmpegExit } from '../ffmpeg/child.js';
import { ProgressParser, type FfmpegProgress } from '../ffmpeg/progress.js';
import { RestartPolicy } from '../ffmpeg/restarts.js';
import { feedRun, type FeedCounts } from '../stream/feed.js';
import type { Publisher } from '../stream/publisher.js';
import { Timeline } from '../stream/timeline.js';
import type { Encoder, EncoderFactory } from './encoder.js';
import { captureFailed, captureKeepsFailing } from './errors.js';
import { sameGeometry, screenChangedReason } from './screen-watch.js';

/** How long an encoder stopped for a planned restart gets before it is stopped harder. */
const RESTART_GRACE_MS = 500;
/** ffmpeg's error lines kept per run, for the reason shown when it stops. */
const ERROR_LINES_KEPT = 20;

/** What the loop tells its owner as it goes; the owner decides what the session shows. */
export interface CaptureReports {
  /** A run published its first picture; `first` for the first picture of the whole loop. */
  picture(first: boolean): void;
  /** The encoder is starting again: planned (attempt 0: new settings, new screen size) or after a failure. */
  restarting(reason: string, attempt: number): void;
}

/** How the loop ended: stopped by its owner, or failed for good (the encoder's run is over either way). */
export type CaptureEnd = { kind: 'stopped' } | { kind: 'failed'; error: unknown };

export interface CaptureLoopOptions {
  encoders: EncoderFactory;
  publisher: Publisher;
  /** The screen to capture first. */
  screen: ScreenInfo;
  /** The screen `id` as it is now; throws when it or its display is gone (screen-watch's currentScreen). */
  lookUpScreen: (id: string) => Promise<ScreenInfo>;
  now: () => number;
  /** Waits before restarts after the 1st, 2nd, … failure in a row. */
  backoffMs: readonly number[];
  /** Runs in a row that fail without a picture before the loop gives up. */
  maxFailures: number;
  /** No output from the encoder for this long: it is hung, and is killed and restarted. */
  watchdogMs: number;
  reports: CaptureReports;
}

/** What one run of the encoder did, from its start to its exit. */
interface EncoderRun {
  counts: FeedCounts;
  exit: FfmpegExit | null;
  /** It could not be started at all. */
  spawnError: unknown;
  /** Its output was not a Matroska stream we could read. */
  streamError: unknown;
  /** The watchdog killed it: no output for `watchdogMs`. */
  hung: boolean;
  /** Its last error lines (not progress) on stderr. */
  errorLines: string[];
}

/**
 * Runs the encoder again and again until stopped, and splices each new run into the stream viewers get
 * (one Timeline for the whole loop). After an unexpected exit it looks at the screen first: a new size
 * is a planned restart, a screen or display that is gone ends the loop; anything else is a failure,
 * restarted as the RestartPolicy says. It reports through `reports` and by how `run()` ends; it never
 * changes the session's state itself.
 */
export class CaptureLoop {
  private encoder: Encoder | null = null;
  private stopRequested = false;
  private restartRequested: string | null = null;
  /** Aborted on stop, to cut short a wait between restarts. */
  private readonly wake = new AbortController();
  private running: Promise<CaptureEnd> | null = null;
  private screenValue: ScreenInfo;
  private progressValue: FfmpegProgress | null = null;
  private restartCount = 0;
  /** Set at the moment of a pause: from then on not one more byte of the screen run goes out. */
  private cutScreen = false;

  constructor(private readonly options: CaptureLoopOptions) {
    this.screenValue = options.screen;
  }

  /** The screen captured, with the geometry in use. */
  get screen(): ScreenInfo {
    return this.screenValue;
  }

  /** The encoder's last progress report (fps, speed, dropped frames), or null before the first. */
  get progress(): FfmpegProgress | null {
    return this.progressValue;
  }

  /** Restarts after failures (planned restarts are not counted). */
  get restarts(): number {
    return this.restartCount;
  }

  /** The running encoder's process id, for tests and diagnostics. */
  get encoderPid(): number | null {
    return this.encoder?.pid ?? null;
  }

  /** Starts the loop; the promise says how it ended. Calling it again returns the same promise. */
  run(): Promise<CaptureEnd> {
    this.running ??= this.loop();
    return this.running;
  }

  /**
   * Restarts the encoder on purpose (new settings, a new screen geometry); viewers stay when the tracks
   * match. `screen`, when given, is what the next run captures.
   */
  restart(reason: string, screen?: ScreenInfo): void {
    if (screen) this.screenValue = screen;
    if (!this.encoder || this.stopRequested) return;
    this.restartRequested = reason;
    void this.encoder.stop(RESTART_GRACE_MS);
  }

  /**
   * Pause: the screen run is cut at once (what it has not sent yet is dropped, and it is killed rather
   * than asked to finish, so no frame grabbed after this call leaves), and the next run is the encoder
   * factory's card, spliced in like any restart. Resume is an ordinary planned restart.
   */
  cutForPause(): void {
    if (!this.encoder || this.stopRequested) return;
    this.cutScreen = true;
    this.restartRequested = 'paused';
    this.encoder.kill();
  }

  /** Stops the encoder (`graceMs` to quit cleanly) and the loop; resolves when both are over. Idempotent. */
  async stop(graceMs: number): Promise<void> {
    this.stopRequested = true;
    this.wake.abort();
    const encoder = this.encoder;
    if (encoder) await encoder.stop(graceMs);
    if (this.running) await this.running;
  }

  private async loop(): Promise<CaptureEnd> {
    const { encoders, reports } = this.options;
    const timeline = new Timeline();
    const policy = new RestartPolicy(this.options);
    let everLive = false;
    const failed = (error: unknown): CaptureEnd => ({ kind: 'failed', error });
    while (!this.stopRequested) {
      const gone = everLive ? encoders.gone() : null;
      if (gone) return failed(gone);
      const run = await this.runEncoder(timeline, () => {
        reports.picture(!everLive);
        everLive = true;
      });
      if (this.stopRequested) break;
      const planned = this.restartRequested;
      this.restartRequested = null;
      if (planned) {
        reports.restarting(planned, 0);
        continue;
      }
      if (run.spawnError) return failed(encoders.gone(run.spawnError) ?? run.spawnError);
      const reason = this.whyStopped(run);
      if (!everLive) return failed(captureFailed(reason));
      // x11grab stops when the screen shrinks under it, and fails when the display is gone.
      let screen: ScreenInfo;
      try {
        screen = await this.options.lookUpScreen(this.screenValue.id);
      } catch (error) {
        return failed(error);
      }
      if (this.stopRequested) break;
      if (!sameGeometry(screen, this.screenValue)) {
        this.screenValue = screen;
        reports.restarting(screenChangedReason(screen), 0);
        continue;
      }
      const decision = policy.onFailure(run.counts.clusters > 0);
      if (decision.giveUp) return failed(captureKeepsFailing(reason));
      this.restartCount += 1;
      reports.restarting(reason, decision.attempt);
      await sleep(decision.delayMs, undefined, { signal: this.wake.signal }).catch(() => {});
      if (this.stopRequested) break;
      try {
        // The screen may have changed during the wait: capture what is there now.
        this.screenValue = await this.options.lookUpScreen(this.screenValue.id);
      } catch (error) {
        return failed(error);
      }
    }
    return { kind: 'stopped' };
  }

  /** One run of the encoder, from its start to its exit; its clusters go out as they come. */
  private async runEncoder(timeline: Timeline, onPicture: () => void): Promise<EncoderRun> {
    const encoder = this.options.encoders.start(this.screenValue);
    this.encoder = encoder;
    const parser = new ProgressParser();
    const run: EncoderRun = {
      counts: { clusters: 0, bytes: 0 },
      exit: null,
      spawnError: null,
      streamError: null,
      hung: false,
      errorLines: [],
    };
    encoder.onStderr((text) => {
      const { progress, lines } = parser.push(text);
      if (progress.length > 0) this.progressValue = progress[progress.length - 1];
      run.errorLines.push(...lines);
      if (run.errorLines.length > ERROR_LINES_KEPT)
        run.errorLines.splice(0, run.errorLines.length - ERROR_LINES_KEPT);
    });
    let watchdog: NodeJS.Timeout | null = null;
    const feedWatchdog = (): void => {
      if (watchdog) clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        run.hung = true;
        encoder.kill();
      }, this.options.watchdogMs);
    };
    feedWatchdog();
    this.cutScreen = false;
    const cut = (): boolean => this.cutScreen;
    try {
      await feedRun(
        untilCut(encoder.output, cut),
        timeline,
        this.options.publisher,
        { now: this.options.now, finish: false, onChunk: feedWatchdog, onFirstCluster: onPicture },
        run.counts,
      );
    } catch (error) {
      run.streamError = error; // a broken stream from the encoder: restart it like a crash
      encoder.kill();
    } finally {
      if (watchdog) clearTimeout(watchdog);
    }
    run.exit = await encoder.exited.catch((error: unknown) => {
      run.spawnError = error;
      return null;
    });
    this.encoder = null;
    return run;
  }

  /** Why a run stopped, in words for the 'restarting' state. */
  private whyStopped(run: EncoderRun): string {
    if (run.hung)
      return `the encoder sent nothing for ${this.options.watchdogMs / 1000} s (hung), so it was stopped`;
    if (run.streamError) return `the encoder's stream broke (${(run.streamError as Error).message})`;
    // ffmpeg's own error lines (not its progress blocks) say why it stopped.
    const said = run.errorLines.slice(-3).join(' / ');
    const how = run.exit?.signal ? `signal ${run.exit.signal}` : `exit code ${run.exit?.code}`;
    return `ffmpeg stopped (${how})${said ? `: ${said}` : ''}`;
  }
}

/** The encoder's output until `cut()` says stop: a chunk read after that is dropped, not sent. */
async function* untilCut(source: AsyncIterable<Buffer>, cut: () => boolean): AsyncIterable<Buffer> {
  for await (const chunk of source) {
    if (cut()) return;
    yield chunk;
  }
}
