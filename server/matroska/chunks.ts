/**
 * The input bytes the reader has not finished with, kept as the chunks they arrived in and addressed by
 * absolute offset in the stream. Nothing is concatenated until a whole element is taken, and an element
 * that lies inside one chunk comes back as a `subarray` of it, so 1-byte pushes stay linear-time.
 */
interface Chunk {
  buf: Buffer;
  /** Absolute offset of `buf[0]` in the stream. */
  start: number;
}

export class ChunkQueue {
  private chunks: Chunk[] = [];
  /** Index of the first live chunk: dropping from the front moves it instead of shifting the array. */
  private first = 0;
  /** Index of the chunk where the last lookup ended: reads move forward, so lookups start here. */
  private cursor = 0;
  /** Bytes before this offset are not wanted: they are dropped now, or trimmed off when they arrive. */
  private discardBefore = 0;
  /** Absolute offset just past the last byte received. */
  private received = 0;
  private readonly scratch = Buffer.alloc(16);

  /** Absolute offset just past the last byte received. */
  get end(): number {
    return this.received;
  }

  /** Bytes held: everything received and not yet discarded (O(1), for caps checks and the fuzzer). */
  get heldBytes(): number {
    return Math.max(0, this.received - this.discardBefore);
  }

  append(chunk: Buffer): void {
    const start = this.received;
    this.received += chunk.length;
    const skip = this.discardBefore - start;
    if (skip >= chunk.length) return;
    if (skip > 0) this.chunks.push({ buf: chunk.subarray(skip), start: start + skip });
    else if (chunk.length > 0) this.chunks.push({ buf: chunk, start });
  }

  /**
   * Forgets every byte before `offset`. The offset may lie ahead of the bytes received so far: that is how
   * an element is skipped by counting, without ever holding it.
   */
  discard(offset: number): void {
    if (offset <= this.discardBefore) return;
    this.discardBefore = offset;
    while (this.first < this.chunks.length) {
      const chunk = this.chunks[this.first];
      if (chunk.start + chunk.buf.length > offset) {
        if (chunk.start < offset) {
          this.chunks[this.first] = { buf: chunk.buf.subarray(offset - chunk.start), start: offset };
        }
        break;
      }
      this.first++;
    }
    if (this.first === this.chunks.length) {
      this.chunks = [];
      this.first = 0;
    } else if (this.first > 64 && this.first * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
    this.cursor = this.first;
  }

  /**
   * Index of the chunk holding `offset`, which must be held (between the discard point and `end`). Reads
   * move forward with small steps back (a block header is read ahead of the element header before it, and
   * both again when a chunk ends inside them), so the walk starts at the cursor, or at the first chunk when
   * that is nearer.
   */
  private locate(offset: number): number {
    let i = Math.min(Math.max(this.cursor, this.first), this.chunks.length - 1);
    if (offset - this.chunks[this.first].start < this.chunks[i].start - offset) i = this.first;
    while (this.chunks[i].start > offset) i--;
    while (this.chunks[i].start + this.chunks[i].buf.length <= offset) i++;
    this.cursor = i;
    return i;
  }

  /**
   * `length` (at most 16) bytes at `offset`, or the fewer that have arrived; empty when none have. The
   * result may be a scratch Buffer that the next call overwrites: read it at once.
   */
  peek(offset: number, length: number): Buffer {
    const available = Math.min(length, this.received - offset);
    if (available <= 0) return this.scratch.subarray(0, 0);
    const i = this.locate(offset);
    const chunk = this.chunks[i];
    const at = offset - chunk.start;
    if (at + available <= chunk.buf.length) return chunk.buf.subarray(at, at + available);
    this.copyOut(this.scratch, 0, offset, offset + available, i);
    return this.scratch.subarray(0, available);
  }

  /** The bytes from `start` to `end` (all received): a subarray when they lie in one chunk, else one copy. */
  take(start: number, end: number): Buffer {
    const i = this.locate(start);
    const chunk = this.chunks[i];
    if (end <= chunk.start + chunk.buf.length) {
      return chunk.buf.subarray(start - chunk.start, end - chunk.start);
    }
    const out = Buffer.allocUnsafe(end - start);
    this.copyOut(out, 0, start, end, i);
    return out;
  }

  /** Copies the bytes from `start` to `end` (all received) into `target` at `targetStart`. */
  copyTo(target: Buffer, targetStart: number, start: number, end: number): void {
    if (end > start) this.copyOut(target, targetStart, start, end, this.locate(start));
  }

  private copyOut(target: Buffer, targetStart: number, start: number, end: number, fromChunk: number): void {
    let written = targetStart;
    for (let i = fromChunk, pos = start; pos < end; i++) {
      const chunk = this.chunks[i];
      const from = pos - chunk.start;
      const to = Math.min(chunk.buf.length, end - chunk.start);
      written += chunk.buf.copy(target, written, from, to);
      pos = chunk.start + to;
    }
  }
}
