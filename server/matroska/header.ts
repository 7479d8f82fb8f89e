import { createHash } from 'node:crypto';
/**
 * The parts of the init header that need reading: the EBML head's DocType, Info (TimestampScale; Duration
 * voided for a live output) and Tracks. Each function gets one whole element and its absolute offset.
 */
import { MatroskaError } from './errors.js';
import { ID, children, elementName, hex2, readFloat, readUint, writeVoid } from './ebml.js';
import type { InitHeader, TrackInfo, TrackKind } from './types.js';

const DEFAULT_TIMESTAMP_SCALE_NS = 1_000_000;

/** The DocType of an EBML head element (`head` is the whole element, header included). */
export function readDocType(head: Buffer, dataStart: number, absoluteOffset: number): InitHeader['docType'] {
  for (const child of children(head, dataStart, head.length, ID.EBML, absoluteOffset)) {
    if (child.id !== ID.DocType) continue;
    // EBML strings may be padded with zero bytes (RFC 8794 §7.4).
    const docType = head
      .toString('latin1', child.dataStart, child.dataStart + child.size)
      .replace(/\0+$/, '');
    if (docType === 'matroska' || docType === 'webm') return docType;
    throw new MatroskaError(
      'NOT_MATROSKA',
      `not a Matroska/WebM stream: its EBML DocType is "${printable(docType.slice(0, 40))}", not "matroska" or "webm"`,
      absoluteOffset + child.start,
    );
  }
  throw new MatroskaError(
    'NOT_MATROSKA',
    'not a Matroska/WebM stream: its EBML header has no DocType',
    absoluteOffset,
  );
}

/**
 * Text from the input as it may appear in a message: printable ASCII, with quotes, backslashes and every
 * other byte escaped (`\x1B`), so that a hostile stream cannot put terminal escape sequences on the screen.
 */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]|["\\]/g, (c) =>
    c === '"' || c === '\\' ? `\\${c}` : `\\x${hex2(c.charCodeAt(0))}`,
  );
}

export interface LiveInfo {
  /** The Info element for a live output: a copy when something was voided, else the input itself. */
  bytes: Buffer;
  timestampScaleNs: number;
}

/**
 * Reads TimestampScale and blanks Duration: a live stream has no duration, and players that see one
 * stop there or show a seek bar. The CRC-32 of Info is blanked with it, since it would no longer match.
 */
export function liveInfo(info: Buffer, dataStart: number, absoluteOffset: number): LiveInfo {
  let timestampScaleNs = DEFAULT_TIMESTAMP_SCALE_NS;
  const blank: Array<{ start: number; end: number }> = [];
  let crc: { start: number; end: number } | null = null;
  for (const child of children(info, dataStart, info.length, ID.Info, absoluteOffset)) {
    const end = child.dataStart + child.size;
    if (child.id === ID.TimestampScale) {
      // 0 is not a valid scale (RFC 9559 §5.1.2.1); the default is the only sensible reading of it.
      const scale = readSizedUint(info, child.dataStart, child.size, child.id, absoluteOffset + child.start);
      // As for a Cluster Timestamp: past 2^53 the value is no longer exact, and no timeline can use it.
      if (!Number.isSafeInteger(scale)) {
        throw new MatroskaError(
          'BAD_SIZE',
          `${elementName(child.id)} ${scale} is past 2^53`,
          absoluteOffset + child.start,
        );
      }
      timestampScaleNs = scale || DEFAULT_TIMESTAMP_SCALE_NS;
    } else if (child.id === ID.Duration) {
      blank.push({ start: child.start, end });
    } else if (child.id === ID.CRC32) {
      crc = { start: child.start, end };
    }
  }
  if (blank.length === 0) return { bytes: info, timestampScaleNs };
  if (crc) blank.push(crc);
  const bytes = Buffer.from(info);
  for (const { start, end } of blank) writeVoid(bytes, start, end - start);
  return { bytes, timestampScaleNs };
}

const TRACK_KINDS: Record<number, TrackKind> = { 1: 'video', 2: 'audio', 17: 'subtitle' };

const CODEC_NAMES: Record<string, string> = {
  'V_MPEG4/ISO/AVC': 'h264',
  'V_MPEGH/ISO/HEVC': 'hevc',
  V_VP8: 'vp8',
  V_VP9: 'vp9',
  V_AV1: 'av1',
  A_OPUS: 'opus',
  A_VORBIS: 'vorbis',
  'A_MPEG/L3': 'mp3',
  A_AC3: 'ac3',
  A_FLAC: 'flac',
};

/** Short codec name for people: `h264`, `aac`, …; the CodecID lower-cased when we have no name for it. */
export function codecName(codecId: string): string {
  if (codecId.startsWith('A_AAC')) return 'aac';
  if (codecId.startsWith('A_PCM')) return 'pcm';
  return CODEC_NAMES[codecId] ?? codecId.toLowerCase();
}

/** The tracks of a Tracks element (whole, header included). Entries without a TrackNumber are left out. */
export function readTracks(tracks: Buffer, dataStart: number, absoluteOffset: number): TrackInfo[] {
  const result: TrackInfo[] = [];
  for (const entry of children(tracks, dataStart, tracks.length, ID.Tracks, absoluteOffset)) {
    if (entry.id !== ID.TrackEntry) continue;
    const track = readTrackEntry(tracks, entry.dataStart, entry.dataStart + entry.size, absoluteOffset);
    if (track) result.push(track);
  }
  return result;
}

function readTrackEntry(buf: Buffer, start: number, end: number, absoluteOffset: number): TrackInfo | null {
  let number = 0;
  let type = 0;
  let codecId = '';
  const details: Pick<
    TrackInfo,
    'width' | 'height' | 'sampleRate' | 'channels' | 'codecPrivateHash' | 'codecPrivate'
  > = {};
  for (const child of children(buf, start, end, ID.TrackEntry, absoluteOffset)) {
    const at = child.dataStart;
    const uint = (): number =>
      readSizedUint(buf, child.dataStart, child.size, child.id, absoluteOffset + child.start);
    switch (child.id) {
      case ID.TrackNumber:
        number = uint();
        break;
      case ID.TrackType:
        type = uint();
        break;
      case ID.CodecID:
        codecId = buf.toString('latin1', at, at + child.size).replace(/\0+$/, '');
        break;
      case ID.CodecPrivate:
        details.codecPrivateHash = createHash('sha1')
          .update(buf.subarray(at, at + child.size))
          .digest('hex');
        details.codecPrivate = buf.subarray(at, at + child.size);
        break;
      case ID.Video:
        for (const v of children(buf, at, at + child.size, ID.Video, absoluteOffset)) {
          if (v.id !== ID.PixelWidth && v.id !== ID.PixelHeight) continue;
          const value = readSizedUint(buf, v.dataStart, v.size, v.id, absoluteOffset + v.start);
          if (v.id === ID.PixelWidth) details.width = value;
          else details.height = value;
        }
        break;
      case ID.Audio:
        for (const a of children(buf, at, at + child.size, ID.Audio, absoluteOffset)) {
          if (a.id === ID.SamplingFrequency) {
            const rate = readFloat(buf, a.dataStart, a.size);
            if (rate === null) {
              throw new MatroskaError(
                'BAD_SIZE',
                `${elementName(a.id)} is ${a.size} bytes long; a float must be 0, 4 or 8 bytes`,
                absoluteOffset + a.start,
              );
            }
            details.sampleRate = rate;
          } else if (a.id === ID.Channels) {
            details.channels = readSizedUint(buf, a.dataStart, a.size, a.id, absoluteOffset + a.start);
          }
        }
        break;
    }
  }
  if (number === 0) return null;
  return { number, kind: TRACK_KINDS[type] ?? 'other', codecId, codec: codecName(codecId), ...details };
}

function readSizedUint(buf: Buffer, pos: number, size: number, id: number, absoluteOffset: number): number {
  if (size > 8) {
    throw new MatroskaError(
      'BAD_SIZE',
      `${elementName(id)} is ${size} bytes long; an unsigned int is at most 8 bytes`,
      absoluteOffset,
    );
  }
  return readUint(buf, pos, size);
}
