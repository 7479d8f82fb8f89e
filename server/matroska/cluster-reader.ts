/**
 * ClusterReader: walks one Cluster's children as they arrive (RFC 9559 §5.1.3), reading only the Timestamp
 * and the block headers, and yields the cluster as one Buffer once its end is known, with its keyframe
 * flag. A keyframe found after an earlier video block cuts the cluster there (see cut.ts).
 */
import type { ChunkQueue } from './chunks.js';
import { cutHead, cutPiece, type CutCluster } from './cut.js';
import {
  ID,
  UNKNOWN_SIZE,
  elementName,
  overrunsParent,
  readUint,
  readVint,
  requireKnownSize,
  streamElementAt,
  vintLength,
  type StreamElement,
} from './ebml.js';
import { MatroskaError } from './errors.js';
import type { Cluster, ReaderEvent } from './types.js';

/**
 * IDs that end a Cluster of unknown size: elements of the Segment level or above (RFC 8794 §6.2). An ID we
 * do not know stays inside the cluster, byte-exact.
 */
export const ENDS_UNKNOWN_CLUSTER = new Set<number>([
  ID.Cluster,
  ID.Cues,
  ID.Tags,
  ID.Chapters,
  ID.Attachments,
  ID.SeekHead,
  ID.Info,
  ID.Tracks,
  ID.EBML,
  ID.Segment,
]);

export interface ClusterContext {
  maxClusterBytes: number;
  /** Track numbers of the video tracks; none means every cluster is a keyframe (audio only). */
  videoTracks: ReadonlySet<number>;
  /** Absolute end of the Segment (Infinity when unknown): it ends an unknown-size cluster too. */
  segmentEnd: number;
}

interface BlockHeader {
  track: number;
  /** Timestamp relative to the cluster's (int16). */
  relative: number;
  flags: number;
  /** Absolute offset of the 2-byte relative timestamp, for rewriting it in a piece cut off the cluster. */
  timestampAt: number;
}

/** What is emitted next: the original cluster, or a piece of it that starts at a keyframe inside it. */
interface Part {
  start: number;
  original: boolean;
  /** Relative timestamp (in the original cluster) that this part's Timestamp adds to the original's. */
  shift: number;
  sawVideo: boolean;
  keyframe: boolean;
  lastBlockOffset: number | null;
  videoFrames: number;
  /** Relative time of the keyframe that starts an uncut part; null otherwise. */
  keyRelative: number | null;
  leadingBlocks: number[];
  /** Pairs (absolute offset of a block's relative timestamp, its value in this part). */
  rewrites: number[];
}

export class ClusterReader {
  /** Absolute offset of the next child header to read. */
  pos: number;
  /** Set once the cluster has been emitted: where it ended. */
  end: number | null = null;
  private readonly start: number;
  private readonly payloadStart: number;
  private readonly declaredEnd: number;
  private readonly unknownSize: boolean;
  private timestamp: number | null = null;
  private timestampEnd = 0;
  private readonly crcs: number[] = [];
  private group: { start: number; end: number; block: BlockHeader | null; hasReference: boolean } | null =
    null;
  private part: Part;

  constructor(
    private readonly queue: ChunkQueue,
    element: StreamElement,
    private readonly context: ClusterContext,
  ) {
    this.unknownSize = element.size === UNKNOWN_SIZE;
    if (!this.unknownSize && element.end - element.start > context.maxClusterBytes) {
      throw this.tooLarge(element, `Cluster of ${element.end - element.start} bytes`);
    }
    this.start = element.start;
    this.payloadStart = element.dataStart;
    this.declaredEnd = element.end;
    this.pos = element.dataStart;
    this.part = this.newPart(element.start, 0, true);
  }

  /** Makes one step; false when more bytes are needed. Completed clusters are pushed onto `events`. */
  step(events: ReaderEvent[]): boolean {
    const group = this.group;
    if (group !== null && this.pos >= group.end) {
      this.group = null;
      if (group.block !== null)
        this.onBlock(events, group.start, group.end, group.block, !group.hasReference);
      return true;
    }
    if (this.pos >= this.declaredEnd || this.pos >= this.context.segmentEnd) {
      return this.finish(events, this.pos);
    }
    const element = streamElementAt(this.queue.peek(this.pos, 12), this.pos);
    if (element === null) return false;
    if (group !== null) return this.groupChild(group, element);
    if (this.unknownSize && ENDS_UNKNOWN_CLUSTER.has(element.id)) return this.finish(events, element.start);
    requireKnownSize(element.id, element.size, element.start, ID.Cluster);
    if (element.end > this.declaredEnd) {
      throw overrunsParent(element.id, element.end - element.start, ID.Cluster, element.start);
    }
    if (element.end > this.context.segmentEnd) {
      throw overrunsParent(element.id, element.end - element.start, ID.Segment, element.start);
    }
    if (element.end - this.start > this.context.maxClusterBytes) {
      throw this.tooLarge(element, `Cluster of unknown size that started at byte ${this.start}`);
    }
    switch (element.id) {
      case ID.Timestamp:
        if (this.queue.end < element.end) return false;
        this.readTimestamp(element);
        break;
      case ID.SimpleBlock: {
        const block = this.readBlockHeader(element);
        if (block === null) return false;
        this.pos = element.end;
        this.onBlock(events, element.start, element.end, block, (block.flags & 0x80) !== 0);
        return true;
      }
      case ID.BlockGroup:
        // Its keyframe flag is known only at its end: a ReferenceBlock may follow the Block.
        this.group = { start: element.start, end: element.end, block: null, hasReference: false };
        this.pos = element.dataStart;
        return true;
      case ID.CRC32:
        this.crcs.push(element.start, element.end);
        break;
    }
    this.pos = element.end;
    return true;
  }

  /**
   * The stream has ended at `received`: an unknown-size cluster ends there too, if it stopped between two
   * children of a cluster that has its Timestamp. Anything else is TRUNCATED.
   */
  finishAtEnd(events: ReaderEvent[], received: number): void {
    const clean = this.pos === received && this.group === null && this.timestamp !== null;
    if (this.unknownSize && clean && this.context.segmentEnd === Infinity) {
      this.finish(events, received);
      return;
    }
    const what = this.group ? 'a BlockGroup in the Cluster' : 'the Cluster';
    throw new MatroskaError(
      'TRUNCATED',
      `the stream ended inside ${what} that starts at byte ${this.start}`,
      received,
    );
  }

  private tooLarge(element: StreamElement, what: string): MatroskaError {
    return new MatroskaError(
      'ELEMENT_TOO_LARGE',
      `${what} is larger than ${this.context.maxClusterBytes} bytes (maxClusterBytes) with ${elementName(element.id)}`,
      element.start,
    );
  }

  private readTimestamp(element: StreamElement): void {
    if (element.size > 8) {
      throw new MatroskaError(
        'BAD_SIZE',
        `${elementName(element.id)} is ${element.size} bytes long; an unsigned int is at most 8 bytes`,
        element.start,
      );
    }
    // Only the first Timestamp counts; the spec allows one.
    if (this.timestamp !== null) return;
    const value = readUint(this.queue.peek(element.dataStart, element.size), 0, element.size);
    if (!Number.isSafeInteger(value)) {
      throw new MatroskaError('BAD_SIZE', `${elementName(element.id)} ${value} is past 2^53`, element.start);
    }
    this.timestamp = value;
    this.timestampEnd = element.end;
  }

  private groupChild(group: NonNullable<ClusterReader['group']>, element: StreamElement): boolean {
    requireKnownSize(element.id, element.size, element.start, ID.BlockGroup);
    if (element.end > group.end) {
      throw overrunsParent(element.id, element.end - element.start, ID.BlockGroup, element.start);
    }
    if (element.id === ID.Block) {
      if (group.block !== null) {
        throw new MatroskaError(
          'BAD_BLOCK',
          `BlockGroup at byte ${group.start} holds a second Block`,
          element.start,
        );
      }
      const block = this.readBlockHeader(element);
      if (block === null) return false;
      group.block = block;
    } else if (element.id === ID.ReferenceBlock) {
      group.hasReference = true;
    }
    this.pos = element.end;
    return true;
  }

  /** Track number (vint), int16 relative timestamp and flags (RFC 9559 §10.1); null until they arrive. */
  private readBlockHeader(element: StreamElement): BlockHeader | null {
    const bad = (problem: string): MatroskaError =>
      new MatroskaError('BAD_BLOCK', `${elementName(element.id)} ${problem}`, element.start);
    if (element.size === 0) throw bad('is empty');
    const bytes = this.queue.peek(element.dataStart, Math.min(element.size, 11));
    if (bytes.length === 0) return null;
    const trackLength = vintLength(bytes[0]);
    if (trackLength === 0) throw bad('has a track number starting with byte 0x00');
    if (element.size < trackLength + 3) throw bad(`is ${element.size} bytes, too short for its header`);
    if (bytes.length < trackLength + 3) return null;
    const track = readVint(bytes, 0, trackLength);
    if (track === UNKNOWN_SIZE) throw bad('has a reserved track number (all bits set)');
    return {
      track,
      relative: bytes.readInt16BE(trackLength),
      flags: bytes[trackLength + 2],
      timestampAt: element.dataStart + trackLength,
    };
  }

  private newPart(start: number, shift: number, original: boolean): Part {
    const keyframe = this.context.videoTracks.size === 0;
    return {
      start,
      original,
      shift,
      sawVideo: false,
      keyframe,
      lastBlockOffset: null,
      videoFrames: 0,
      keyRelative: null,
      leadingBlocks: [],
      rewrites: [],
    };
  }

  private onBlock(
    events: ReaderEvent[],
    elementStart: number,
    elementEnd: number,
    block: BlockHeader,
    keyframe: boolean,
  ): void {
    if (this.timestamp === null) throw this.missingTimestamp(elementStart);
    let part = this.part;
    if (this.context.videoTracks.has(block.track)) {
      if (!part.sawVideo) {
        part.sawVideo = true;
        part.keyframe = keyframe;
      } else if (keyframe) {
        // Every segment must begin with a cluster a viewer can start decoding from: cut here.
        const pieceTimestamp = this.timestamp + block.relative;
        if (pieceTimestamp < 0) {
          throw new MatroskaError(
            'BAD_BLOCK',
            `keyframe block at relative time ${block.relative} would start a cluster before time 0`,
            elementStart,
          );
        }
        // The new cluster's Timestamp must be exact, as the original's is (see readTimestamp).
        if (!Number.isSafeInteger(pieceTimestamp)) {
          throw new MatroskaError(
            'BAD_BLOCK',
            `keyframe block at relative time ${block.relative} would start a cluster at a Timestamp past 2^53`,
            elementStart,
          );
        }
        events.push(this.emit(elementStart, false));
        part = this.part = this.newPart(elementStart, block.relative, false);
        part.sawVideo = true;
        part.keyframe = true;
      }
      part.videoFrames += 1;
      if (part.keyframe && part.original && part.keyRelative === null) part.keyRelative = block.relative;
      else if (part.keyRelative !== null && block.relative < part.keyRelative) {
        // Shown before the keyframe but decoded after it: an open GOP's leading frame (see Cluster.leadingBlocks).
        part.leadingBlocks.push(elementStart - part.start, elementEnd - part.start);
      }
    }
    const offset = block.relative - part.shift;
    if (!part.original) {
      if (offset < -0x8000 || offset > 0x7fff) {
        throw new MatroskaError(
          'BAD_BLOCK',
          `block at relative time ${block.relative} is out of int16 range from the keyframe at ${part.shift} that starts its new cluster`,
          elementStart,
        );
      }
      part.rewrites.push(block.timestampAt, offset);
    }
    part.lastBlockOffset = Math.max(part.lastBlockOffset ?? offset, offset);
  }

  private missingTimestamp(at: number): MatroskaError {
    return new MatroskaError(
      'MISSING_TIMESTAMP',
      `the Cluster that starts at byte ${this.start} has no Timestamp before its first block`,
      at,
    );
  }

  /** The cluster ends at `end` (absolute): emit what is left of it once all its bytes have arrived. */
  private finish(events: ReaderEvent[], end: number): boolean {
    if (this.queue.end < end) return false;
    if (this.timestamp === null) throw this.missingTimestamp(end);
    events.push(this.emit(end, true));
    this.end = end;
    return true;
  }

  /** The current part, up to `end`; `complete` when the cluster ends there rather than at a cut. */
  private emit(end: number, complete: boolean): ReaderEvent {
    const part = this.part;
    const common = {
      keyframe: part.keyframe,
      unknownSize: this.unknownSize,
      lastBlockOffset: part.lastBlockOffset ?? 0,
      videoFrames: part.videoFrames,
      ...(part.leadingBlocks.length > 0 ? { leadingBlocks: part.leadingBlocks } : {}),
    };
    let cluster: Cluster;
    if (part.original) {
      cluster = {
        ...common,
        // Uncut, the cluster is the input bytes as they are: a view of one chunk when it lies in one.
        bytes: complete ? this.queue.take(this.start, end) : cutHead(this.queue, this.cutCluster(), end),
        timestamp: this.timestamp!,
        timestampEnd: this.timestampEnd - this.start,
        payloadStart: this.payloadStart - this.start,
      };
    } else {
      const timestamp = this.timestamp! + part.shift;
      cluster = { ...common, timestamp, ...cutPiece(this.queue, this.cutCluster(), part, end, timestamp) };
    }
    return { kind: 'cluster', cluster };
  }

  private cutCluster(): CutCluster {
    return {
      start: this.start,
      payloadStart: this.payloadStart,
      unknownSize: this.unknownSize,
      crcs: this.crcs,
    };
  }
}
