import type { OutputsStatus, UploadInfo } from '../api.js';
import type { Publisher } from '../stream/publisher.js';
import { OutputError } from './errors.js';
import { Push } from './push.js';
import { pushTarget } from './push-target.js';
import { Recorder } from './recorder.js';

export interface OutputsOptions {
  /** `--record FILE`, or none. */
  record?: string | null;
  /** The recording's first file number (a session started again goes on with the next). */
  recordFirstNumber?: number;
  /** `--push URL`, each. */
  pushes?: readonly string[];
  /** `--max-upload MBIT`: new viewers are refused once their copy would pass it; none when absent. */
  maxUploadMbit?: number | null;
  ffmpeg: () => string;
  onNotice?: (message: string, problem?: boolean) => void;
  pushBackoffMs?: readonly number[];
}

/** Checks every --push URL (before anything starts); throws OutputError. */
export function checkOutputOptions(options: Pick<OutputsOptions, 'pushes' | 'maxUploadMbit'>): void {
  for (const url of options.pushes ?? []) pushTarget(url);
  const max = options.maxUploadMbit;
  if (max !== undefined && max !== null && !(Number.isFinite(max) && max > 0 && max <= 100_000)) {
    throw new OutputError(
      'UPLOAD_BUDGET_INVALID',
      `--max-upload must be a number of Mbit/s from 0.1 to 100000 (got ${max}).`,
      'For a Wi-Fi laptop, about half of what a speed test gives as its upload, e.g. --max-upload 50.',
    );
  }
}

/**
 * The consumers of the publisher that are not viewers (a recording, pushes), and the upload budget,
 * for `serve`, `share` and the app alike. Starts them at construction; stop() ends each cleanly.
 */
export class Outputs {
  readonly recorder: Recorder | null;
  readonly pushes: Push[];

  constructor(
    private readonly publisher: Publisher,
    private readonly options: OutputsOptions,
  ) {
    this.options = { ...options };
    checkOutputOptions(options);
    this.recorder = options.record
      ? new Recorder(publisher, {
          file: options.record,
          ffmpeg: options.ffmpeg,
          onNotice: options.onNotice,
          firstNumber: options.recordFirstNumber,
        })
      : null;
    this.pushes = [];
    for (const url of options.pushes ?? []) this.startPush(url);
  }

  private startPush(url: string): void {
    const push = new Push(this.publisher, pushTarget(url), {
      ffmpeg: this.options.ffmpeg,
      onNotice: this.options.onNotice,
      backoffMs: this.options.pushBackoffMs,
    });
    this.pushes.push(push);
    this.options.onNotice?.(`Pushing to ${push.target.shown}: ${push.target.sends}.`);
  }

  /**
   * The pushes while sharing become `urls` (the app added or removed one): a new URL starts a push, a
   * push whose URL is gone is stopped, the others go on untouched. Every URL is checked first (throws
   * OutputError, nothing changed).
   */
  async setPushes(urls: readonly string[]): Promise<void> {
    checkOutputOptions({ pushes: urls });
    const gone = this.pushes.filter((p) => !urls.includes(p.target.url));
    for (const url of urls) if (!this.pushes.some((p) => p.target.url === url)) this.startPush(url);
    for (const push of gone) this.pushes.splice(this.pushes.indexOf(push), 1);
    await Promise.all(gone.map((p) => p.stop()));
  }

  /** A new upload budget (the app's setting changed while sharing); null: none. */
  setMaxUpload(mbit: number | null): void {
    checkOutputOptions({ maxUploadMbit: mbit });
    this.options.maxUploadMbit = mbit;
  }

  upload(): UploadInfo {
    const copies = this.publisher.viewerCount + this.pushes.filter((p) => p.isSending).length;
    const kbps = this.publisher.rates().bitrateKbps;
    return {
      copies,
      mbitPerSec: Math.round((copies * kbps) / 100) / 10,
      maxMbitPerSec: this.options.maxUploadMbit ?? null,
    };
  }

  status(): OutputsStatus {
    return {
      upload: this.upload(),
      pushes: this.pushes.map((p) => p.info()),
      recording: this.recorder?.info() ?? null,
    };
  }

  /**
   * Whether one more viewer fits the upload budget: null when it does, else the reason for the 503. A
   * new viewer is estimated to cost the stream's bitrate over the last seconds (it gets the same bytes
   * as every other copy); before the first clusters, anyone may join.
   */
  refusal(): string | null {
    const max = this.options.maxUploadMbit;
    if (!max) return null;
    const { copies, mbitPerSec } = this.upload();
    const streamMbit = this.publisher.rates().bitrateKbps / 1000;
    if (streamMbit <= 0 || mbitPerSec + streamMbit <= max) return null;
    return (
      `This stream already sends ${mbitPerSec.toFixed(1)} Mbit/s to ${copies} viewer(s) and relay(s); ` +
      `one more (${streamMbit.toFixed(1)} Mbit/s) would pass the sharer's upload budget of ${max} Mbit/s. ` +
      'Try again later, or watch through a relay (ask the sharer to push to Icecast with --push).\n'
    );
  }

  /** Ends the recording (finishing its file) and the pushes. Idempotent. */
  async stop(): Promise<void> {
    await Promise.all([this.recorder?.stop(), ...this.pushes.map((p) => p.stop())]);
  }
}
