import type { Writable } from 'node:stream';

/**
 * Raw frames from the one PipeWire reader to the encoder of the moment. The reader lives as long as
 * the cast: xdg-desktop-portal-wlr 0.7 sends a stream whose reader went away no frame again (and, in
 * some runs here, a new cast of the same output none either until the screen changed), so an encoder
 * that restarts must not take the reader with it. A new encoder is attached at the next frame boundary; a frame is dropped whole, never
 * queued, when the encoder still has `maxQueuedFrames` frames unread (latency over completeness).
 */
export class FrameRelay {
  private sink: Writable | null = null;
  /** Bytes of the current frame already seen. */
  private offset = 0;
  /** Whether the current frame goes to the sink (decided at its first byte). */
  private sending = false;
  framesSent = 0;
  framesDropped = 0;
  /** The chunks of the frame being read, and of the last whole one (references, never copies). */
  private current: Buffer[] = [];
  private last: Buffer[] | null = null;
  /** Whether the reader has sent a byte yet. */
  started = false;

  constructor(
    readonly frameBytes: number,
    private readonly maxQueuedFrames = 2,
  ) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new RangeError('frameBytes must be > 0');
  }

  /** The encoder that gets the frames from the next frame boundary on. */
  attach(sink: Writable): void {
    this.sink = sink;
    if (this.offset !== 0) this.sending = false;
  }

  detach(sink?: Writable): void {
    if (sink && sink !== this.sink) return;
    this.sink = null;
    this.sending = false;
  }

  /** The last whole frame, to hold on screen while a new reader has sent nothing yet. */
  lastFrame(): Buffer[] | null {
    return this.last;
  }

  /** A frame from an earlier reader of the same size, repeated by `repeatLast` until this one sends. */
  seed(frame: Buffer[] | null): void {
    if (frame && frame.reduce((n, b) => n + b.length, 0) === this.frameBytes) this.last = frame;
  }

  /**
   * Sends the last whole frame again, between two frames of the reader (never inside one); false when
   * there is none, the reader is inside a frame, or the encoder lags.
   */
  repeatLast(): boolean {
    if (!this.last || this.offset !== 0 || !this.wantsFrame()) return false;
    for (const part of this.last) this.sink?.write(part);
    this.framesSent += 1;
    return true;
  }

  /** One chunk of the reader's output, at any alignment. */
  push(chunk: Buffer): void {
    if (chunk.length > 0) this.started = true;
    let at = 0;
    while (at < chunk.length) {
      if (this.offset === 0) this.sending = this.wantsFrame();
      const take = Math.min(chunk.length - at, this.frameBytes - this.offset);
      const part = chunk.subarray(at, at + take);
      if (this.sending && this.sink) this.sink.write(part);
      this.current.push(part);
      at += take;
      this.offset += take;
      if (this.offset === this.frameBytes) {
        this.offset = 0;
        this.last = this.current;
        this.current = [];
        if (this.sending) this.framesSent += 1;
      }
    }
  }

  private wantsFrame(): boolean {
    const sink = this.sink;
    if (!sink || sink.destroyed || !sink.writable) return false;
    if (sink.writableLength >= this.maxQueuedFrames * this.frameBytes) {
      this.framesDropped += 1;
      return false;
    }
    return true;
  }
}
