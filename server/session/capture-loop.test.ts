/**
 * The capture loop driven by fake encoders that write hand-built Matroska: crashes, hangs, screen
 * changes, a display that goes away and a setup that never works, each with the outcome a user sees
 * (the state reported, what a viewer receives). No ffmpeg, no display.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { ScreenInfo } from '../api.js';
import type { FfmpegExit } from '../ffmpeg/child.js';
import { MatroskaReader } from '../matroska/reader.js';
import { ScreenError } from '../screens.js';
import { Publisher } from '../stream/publisher.js';
import { DEFAULT_VIEWER_POLICY } from '../stream/viewer.js';
import {
  cluster,
  ebmlHead,
  H264_TRACK,
  info,
  liveSegmentStart,
  simpleBlock,
  tracks,
} from '../../support/ebml-builders.js';
import { CaptureLoop, type CaptureLoopOptions } from './capture-loop.js';
import type { Encoder, EncoderFactory } from './encoder.js';
import { currentScreen } from './screen-watch.js';

const HEADER = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), tracks(H264_TRACK)]);

const SCREEN: ScreenInfo = {
  id: 'HDMI-1',
  name: 'HDMI-1 (640×360)',
  x: 0,
  y: 0,
  width: 640,
  height: 360,
  scaleFactor: 1,
  primary: true,
};

/** An encoder that writes what the test tells it to and exits when told, like ffmpeg would. */
class FakeEncoder implements Encoder {
  private readonly stream = new PassThrough();
  readonly output: AsyncIterable<Buffer> = this.stream;
  readonly exited: Promise<FfmpegExit>;
  pid: number | null;
  stopped = false;
  killed = false;
  private readonly stderr: ((text: string) => void)[] = [];
  private settle!: (exit: FfmpegExit) => void;
  private refuse!: (error: Error) => void;

  constructor(
    readonly screen: ScreenInfo,
    pid: number,
  ) {
    this.pid = pid;
    this.exited = new Promise<FfmpegExit>((resolve, reject) => {
      this.settle = resolve;
      this.refuse = reject;
    });
  }

  onStderr(listener: (text: string) => void): void {
    this.stderr.push(listener);
  }

  /** The init header, then one cluster per timestamp (a keyframe first), one frame each. */
  picture(...timestampsMs: number[]): void {
    this.stream.write(HEADER);
    this.frames(...timestampsMs);
  }

  frames(...timestampsMs: number[]): void {
    for (const [i, ts] of timestampsMs.entries()) this.stream.write(cluster(ts, simpleBlock(1, 0, i === 0)));
  }

  say(line: string): void {
    for (const listener of this.stderr) listener(`${line}\n`);
  }

  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.pid === null) return;
    this.pid = null;
    this.stream.end();
    this.settle({ code, signal, stderrTail: '' });
  }

  /** Could not be started at all (spawn failed). */
  failToStart(error: Error): void {
    this.pid = null;
    this.stream.end();
    this.refuse(error);
  }

  stop(): Promise<unknown> {
    this.stopped = true;
    this.exit(0);
    return this.exited;
  }

  kill(): void {
    this.killed = true;
    this.exit(null, 'SIGKILL');
  }
}

type Report = { kind: 'picture'; first: boolean } | { kind: 'restarting'; reason: string; attempt: number };

/** The encoders started, the reports made and the screens there are; every change is an event to wait for. */
class Rig extends EventEmitter {
  readonly encoders: FakeEncoder[] = [];
  readonly reports: Report[] = [];
  screens: ScreenInfo[] = [SCREEN];
  displayUp = true;
  binaryGone = false;
  readonly publisher = new Publisher({ policy: DEFAULT_VIEWER_POLICY, now: () => performance.now() });
  readonly loop: CaptureLoop;

  constructor(options: Partial<CaptureLoopOptions> = {}) {
    super();
    const encoders: EncoderFactory = {
      start: (screen) => {
        const encoder = new FakeEncoder(screen, 1000 + this.encoders.length);
        this.encoders.push(encoder);
        this.emit('change');
        return encoder;
      },
      gone: () => (this.binaryGone ? new Error('ffmpeg is gone') : null),
    };
    const source = {
      platform: 'linux' as const,
      display: ':99',
      listScreens: async () => {
        if (!this.displayUp) throw new ScreenError('DISPLAY_UNREACHABLE', 'Cannot open display :99.', '');
        return this.screens;
      },
    };
    this.loop = new CaptureLoop({
      encoders,
      publisher: this.publisher,
      screen: SCREEN,
      lookUpScreen: (id) => currentScreen(source, id),
      now: () => performance.now(),
      backoffMs: [1],
      maxFailures: 5,
      watchdogMs: 10_000,
      reports: {
        picture: (first) => this.report({ kind: 'picture', first }),
        restarting: (reason, attempt) => this.report({ kind: 'restarting', reason, attempt }),
      },
      ...options,
    });
  }

  private report(report: Report): void {
    this.reports.push(report);
    this.emit('change');
  }

  until(what: string, ready: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!ready()) return;
        this.off('change', check);
        clearTimeout(timer);
        resolve();
      };
      // A deadline far beyond any machine's load: reaching it means the loop is stuck.
      const timer = setTimeout(() => {
        this.off('change', check);
        reject(new Error(`timed out waiting for ${what}`));
      }, 8000);
      this.on('change', check);
      check();
    });
  }

  async encoder(index: number): Promise<FakeEncoder> {
    await this.until(`encoder #${index + 1}`, () => this.encoders.length > index);
    return this.encoders[index];
  }

  async nthReport(index: number): Promise<Report> {
    await this.until(`report #${index + 1}`, () => this.reports.length > index);
    return this.reports[index];
  }

  /** A viewer on the publisher; returns the cluster timestamps it has received so far. */
  viewer(): () => number[] {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    this.publisher.addViewer({ id: 'v1', address: '127.0.0.1', client: 'test', userAgent: 'test' }, sink);
    return () =>
      new MatroskaReader()
        .push(Buffer.concat(chunks))
        .flatMap((event) => (event.kind === 'cluster' ? [event.cluster.timestamp] : []));
  }
}

describe('CaptureLoop', { timeout: 20_000 }, () => {
  it('restarts an encoder that crashes after its first picture after the first backoff, spliced: a viewer stays and its timestamps keep rising', async () => {
    const rig = new Rig({ backoffMs: [40, 80] });
    const received = rig.viewer();
    const ended = rig.loop.run();
    const first = await rig.encoder(0);
    first.picture(0, 33, 66);
    assert.deepEqual(await rig.nthReport(0), { kind: 'picture', first: true });

    first.say('[x11grab] Connection to the X server broke');
    first.exit(1);
    const restarting = await rig.nthReport(1);
    const restartingAt = performance.now();
    assert.equal(restarting.kind, 'restarting');
    assert.equal(restarting.kind === 'restarting' && restarting.attempt, 1);
    assert.match(
      restarting.kind === 'restarting' ? restarting.reason : '',
      /ffmpeg stopped \(exit code 1\): \[x11grab\] Connection to the X server broke/,
    );

    const second = await rig.encoder(1);
    assert.ok(performance.now() - restartingAt >= 35, 'the next encoder waited for the first backoff');
    second.picture(0, 33); // a new ffmpeg starts its timestamps at 0 again
    assert.deepEqual(await rig.nthReport(2), { kind: 'picture', first: false });
    await rig.until('5 clusters at the viewer', () => received().length === 5);
    const timestamps = received();
    for (let i = 1; i < timestamps.length; i++) {
      assert.ok(timestamps[i] > timestamps[i - 1], `timestamps keep rising: ${timestamps.join(', ')}`);
    }
    assert.equal(rig.publisher.viewerCount, 1, 'the viewer is still connected');
    assert.equal(rig.loop.restarts, 1);

    await rig.loop.stop(100);
    assert.deepEqual(await ended, { kind: 'stopped' });
    assert.equal(second.stopped, true, 'stop() stopped the running encoder');
  });

  it('kills an encoder that sends nothing for watchdogMs and restarts it as hung', async () => {
    const rig = new Rig({ watchdogMs: 100 });
    const ended = rig.loop.run();
    const first = await rig.encoder(0);
    first.picture(0);
    await rig.nthReport(0);
    const restarting = await rig.nthReport(1);
    assert.equal(first.killed, true, 'the hung encoder was killed');
    assert.match(
      restarting.kind === 'restarting' ? restarting.reason : '',
      /sent nothing for 0.1 s \(hung\)/,
    );
    await rig.encoder(1);
    await rig.loop.stop(100);
    assert.equal((await ended).kind, 'stopped');
  });

  it('restarts at the new size, as planned and not as a failure, when the screen changed size under the encoder', async () => {
    const rig = new Rig();
    const ended = rig.loop.run();
    const first = await rig.encoder(0);
    first.picture(0);
    await rig.nthReport(0);
    rig.screens = [{ ...SCREEN, width: 800, height: 600 }];
    first.exit(0); // x11grab stops when the screen shrinks under it
    assert.deepEqual(await rig.nthReport(1), {
      kind: 'restarting',
      reason: 'the screen changed to 800×600',
      attempt: 0,
    });
    const second = await rig.encoder(1);
    assert.equal(second.screen.width, 800);
    assert.equal(rig.loop.screen.height, 600);
    assert.equal(rig.loop.restarts, 0, 'a planned restart is not counted as a failure');
    await rig.loop.stop(100);
    assert.equal((await ended).kind, 'stopped');
  });

  it('ends with DISPLAY_GONE when the encoder fails because the X display went away', async () => {
    const rig = new Rig();
    const ended = rig.loop.run();
    const first = await rig.encoder(0);
    first.picture(0);
    await rig.nthReport(0);
    rig.displayUp = false;
    first.exit(1);
    const end = await ended;
    assert.equal(end.kind, 'failed');
    assert.equal(end.kind === 'failed' && (end.error as ScreenError).code, 'DISPLAY_GONE');
    assert.equal(rig.encoders.length, 1, 'no encoder is started for a display that is gone');
  });

  it('gives up with ENCODER_FAILED after maxFailures runs in a row that fail without a picture', async () => {
    const rig = new Rig({ maxFailures: 3 });
    const ended = rig.loop.run();
    const first = await rig.encoder(0);
    first.picture(0);
    await rig.nthReport(0);
    first.exit(1);
    (await rig.encoder(1)).exit(1);
    const third = await rig.encoder(2);
    third.say('Cannot allocate memory');
    third.exit(1);
    const end = await ended;
    assert.equal(end.kind, 'failed');
    const error = end.kind === 'failed' ? (end.error as { code: string; message: string }) : null;
    assert.equal(error?.code, 'ENCODER_FAILED');
    assert.match(
      error?.message ?? '',
      /keeps failing: ffmpeg stopped \(exit code 1\): Cannot allocate memory/,
    );
    const attempts = rig.reports.flatMap((r) => (r.kind === 'restarting' ? [r.attempt] : []));
    assert.deepEqual(attempts, [1, 2], 'two restarts, then it gave up');
  });

  it('does not retry a first run that fails before any picture: the setup is wrong', async () => {
    const rig = new Rig();
    const ended = rig.loop.run();
    const first = await rig.encoder(0);
    first.say("Unknown input format: 'x11grab'");
    first.exit(1);
    const end = await Promise.race([ended, rig.encoder(1).then(() => 'retried' as const)]);
    assert.notEqual(end, 'retried', 'no second encoder was started');
    assert.ok(end !== 'retried' && end.kind === 'failed');
    assert.match(
      end.kind === 'failed' ? (end.error as Error).message : '',
      /Screen capture failed: .*x11grab/,
    );
    assert.equal(rig.encoders.length, 1);
  });

  it('reports the missing binary when an encoder that worked cannot be started again', async () => {
    const rig = new Rig();
    const ended = rig.loop.run();
    const first = await rig.encoder(0);
    first.picture(0);
    await rig.nthReport(0);
    first.exit(1);
    const second = await rig.encoder(1);
    rig.binaryGone = true;
    second.failToStart(new Error('spawn ENOENT'));
    const end = await ended;
    assert.equal(end.kind === 'failed' && (end.error as Error).message, 'ffmpeg is gone');
  });

  it('restart() stops the encoder and starts the next one on the screen given, as a planned restart', async () => {
    const rig = new Rig();
    const ended = rig.loop.run();
    const first = await rig.encoder(0);
    first.picture(0);
    await rig.nthReport(0);
    const other = { ...SCREEN, id: 'DP-2', x: 640 };
    rig.loop.restart('settings changed (screenId)', other);
    assert.deepEqual(await rig.nthReport(1), {
      kind: 'restarting',
      reason: 'settings changed (screenId)',
      attempt: 0,
    });
    assert.equal(first.stopped, true);
    assert.equal((await rig.encoder(1)).screen.id, 'DP-2');
    await rig.loop.stop(100);
    assert.equal((await ended).kind, 'stopped');
  });

  it('stop() during the wait before a restart ends the loop without starting another encoder', async () => {
    const rig = new Rig({ backoffMs: [600_000] });
    const ended = rig.loop.run();
    const first = await rig.encoder(0);
    first.picture(0);
    await rig.nthReport(0);
    first.exit(1);
    await rig.nthReport(1);
    await rig.loop.stop(100);
    assert.deepEqual(await ended, { kind: 'stopped' });
    assert.equal(rig.encoders.length, 1);
  });
});
