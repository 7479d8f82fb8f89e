/**
 * EBML primitives (RFC 8794) over Buffers: element IDs, size vints, unsigned ints and the Matroska element
 * IDs (RFC 9559) the reader and the cluster rewriter use. Pure functions; the only state is the caller's.
 */
import { MatroskaError } from './errors.js';

export const ID = {
  EBML: 0x1a45dfa3,
  DocType: 0x4282,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Info: 0x1549a966,
  TimestampScale: 0x2ad7b1,
  Duration: 0x4489,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackType: 0x83,
  CodecID: 0x86,
  CodecPrivate: 0x63a2,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  Audio: 0xe1,
  SamplingFrequency: 0xb5,
  Channels: 0x9f,
  Cluster: 0x1f43b675,
  Timestamp: 0xe7,
  SilentTracks: 0x5854,
  Position: 0xa7,
  PrevSize: 0xab,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  ReferenceBlock: 0xfb,
  EncryptedBlock: 0xaf,
  Cues: 0x1c53bb6b,
  Chapters: 0x1043a770,
  Attachments: 0x1941a469,
  Tags: 0x1254c367,
  Void: 0xec,
  CRC32: 0xbf,
} as const;

const NAMES = new Map<number, string>(
  Object.entries(ID).map(([name, id]) => [id, name === 'CRC32' ? 'CRC-32' : name]),
);

/** `Cluster (0x1F43B675)`, or `element 0x1234` for IDs we do not know: the form every error message uses. */
export function elementName(id: number): string {
  const hex = '0x' + id.toString(16).toUpperCase();
  const name = NAMES.get(id);
  return name ? `${name} (${hex})` : `element ${hex}`;
}

/** Size value meaning "unknown" (all VINT_DATA bits set, RFC 8794 §6.2). */
export const UNKNOWN_SIZE = -1;

/** Length of an element ID from its first byte: 1–4, or 0 when the ID would be longer than 4 bytes or starts with 0x00. */
export function idLength(firstByte: number): number {
  if (firstByte >= 0x80) return 1;
  if (firstByte >= 0x40) return 2;
  if (firstByte >= 0x20) return 3;
  if (firstByte >= 0x10) return 4;
  return 0;
}

/** Length of a size vint from its first byte: 1–8, or 0 for 0x00 (a vint longer than 8 bytes). */
export function vintLength(firstByte: number): number {
  if (firstByte === 0) return 0;
  return Math.clz32(firstByte) - 23;
}

/** The ID as written (marker bits included, the way Matroska IDs are quoted), `length` bytes at `pos`. */
export function readId(buf: Buffer, pos: number, length: number): number {
  let id = 0;
  for (let i = 0; i < length; i++) id = id * 256 + buf[pos + i];
  return id;
}

/**
 * Whether an ID is one EBML allows: RFC 8794 §5 reserves IDs whose VINT_DATA bits are all 0 or all 1
 * (0x80, 0xFF, 0x4000, 0x7FFF, …). Rejecting them keeps garbage from passing as elements.
 */
export function isValidId(id: number, length: number): boolean {
  const dataBits = 7 * length;
  const data = id % 2 ** dataBits;
  return data !== 0 && data !== 2 ** dataBits - 1;
}

/**
 * A size vint of `length` bytes at `pos`: its value, or UNKNOWN_SIZE when every data bit is set. Values past
 * 2^53 lose precision; every caller compares them with caps far below that, so it does not matter.
 */
export function readVint(buf: Buffer, pos: number, length: number): number {
  const first = buf[pos] & (0xff >> length);
  let value = first;
  let allOnes = first === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const byte = buf[pos + i];
    value = value * 256 + byte;
    if (byte !== 0xff) allOnes = false;
  }
  return allOnes ? UNKNOWN_SIZE : value;
}

/** Largest size a vint of `width` bytes can hold (all ones is reserved for "unknown"). */
export function maxVintValue(width: number): number {
  return 2 ** (7 * width) - 2;
}

/** Smallest vint width (1–8) that holds `value`. */
export function vintWidth(value: number): number {
  for (let width = 1; width <= 8; width++) if (value <= maxVintValue(width)) return width;
  throw new RangeError(`EBML size ${value} does not fit in 8 bytes`);
}

/** Writes `value` as a size vint of exactly `width` bytes at `pos`; returns the position after it. */
export function writeVint(target: Buffer, pos: number, value: number, width: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || width < 1 || width > 8 || value > maxVintValue(width)) {
    throw new RangeError(`EBML size ${value} does not fit in a ${width}-byte vint`);
  }
  let rest = value;
  for (let i = width - 1; i > 0; i--) {
    target[pos + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  target[pos] = rest | (0x80 >> (width - 1));
  return pos + width;
}

/** A size vint of exactly `width` bytes (the smallest that fits when `width` is omitted). */
export function encodeVint(value: number, width = vintWidth(value)): Buffer {
  const out = Buffer.alloc(width);
  writeVint(out, 0, value, width);
  return out;
}

/** The unknown size in `width` bytes: `01 FF FF FF FF FF FF FF` for 8. */
export function unknownSizeVint(width: number): Buffer {
  const out = Buffer.alloc(width, 0xff);
  out[0] = 0xff >> (width - 1);
  return out;
}

/**
 * Writes a Void element of exactly `length` bytes (at least 2) at `pos`, so that an element can be blanked
 * out without moving anything after it.
 */
export function writeVoid(target: Buffer, pos: number, length: number): void {
  // The size field is 1 byte when it can be; a longer one only for Voids past 128 bytes.
  let width = 1;
  while (length - 1 - width > maxVintValue(width)) width++;
  target[pos] = ID.Void;
  writeVint(target, pos + 1, length - 1 - width, width);
  target.fill(0, pos + 1 + width, pos + length);
}

/** Bytes needed to write `value` as an unsigned int (0 needs none, RFC 8794 §7.2). */
export function uintWidth(value: number): number {
  let width = 0;
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) width++;
  return width;
}

/** Writes an unsigned int big-endian in exactly `width` bytes at `pos`; returns the position after it. */
export function writeUint(target: Buffer, pos: number, value: number, width: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || width > 8 || uintWidth(value) > width) {
    throw new RangeError(`unsigned int ${value} does not fit in ${width} bytes`);
  }
  let rest = value;
  for (let i = width - 1; i >= 0; i--) {
    target[pos + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return pos + width;
}

/** An unsigned int in the smallest width (at least `minWidth` bytes). */
export function encodeUint(value: number, minWidth = 0): Buffer {
  const out = Buffer.alloc(Math.max(minWidth, uintWidth(value)));
  writeUint(out, 0, value, out.length);
  return out;
}

/** Reads an unsigned int of `length` (0–8) bytes; values past 2^53 lose precision. */
export function readUint(buf: Buffer, pos: number, length: number): number {
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 256 + buf[pos + i];
  return value;
}

/** Reads an EBML float: 0 bytes is 0.0, otherwise 4 or 8 bytes (RFC 8794 §7.3); null for other lengths. */
export function readFloat(buf: Buffer, pos: number, length: number): number | null {
  if (length === 0) return 0;
  if (length === 4) return buf.readFloatBE(pos);
  if (length === 8) return buf.readDoubleBE(pos);
  return null;
}

/** An element header, positions relative to the Buffer it was read from. */
export interface ElementHeader {
  id: number;
  /** Where the ID starts. */
  start: number;
  /** Where the data starts (after ID and size field). */
  dataStart: number;
  /** Data size in bytes, or UNKNOWN_SIZE. */
  size: number;
  /** Width of the size field in bytes. */
  sizeLength: number;
}

/**
 * Reads an element header at `pos` when `buf` holds all of it; null when more bytes are needed. Throws
 * BAD_ID / BAD_SIZE with `absoluteBase + position` as the offset, so errors point into the whole input.
 */
export function readElementHeader(
  buf: Buffer,
  pos: number,
  end: number,
  absoluteBase: number,
): ElementHeader | null {
  if (pos >= end) return null;
  const idLen = idLength(buf[pos]);
  if (idLen === 0) {
    throw new MatroskaError(
      'BAD_ID',
      `bad element ID: first byte 0x${hex2(buf[pos])} would make an ID longer than 4 bytes`,
      absoluteBase + pos,
    );
  }
  if (pos + idLen >= end) return null;
  const id = readId(buf, pos, idLen);
  if (!isValidId(id, idLen)) {
    throw new MatroskaError(
      'BAD_ID',
      `bad element ID 0x${id.toString(16).toUpperCase()}: reserved value`,
      absoluteBase + pos,
    );
  }
  const sizePos = pos + idLen;
  const sizeLength = vintLength(buf[sizePos]);
  if (sizeLength === 0) {
    throw new MatroskaError(
      'BAD_SIZE',
      `bad size field of ${elementName(id)}: first byte 0x00 would make it longer than 8 bytes`,
      absoluteBase + sizePos,
    );
  }
  if (sizePos + sizeLength > end) return null;
  return {
    id,
    start: pos,
    dataStart: sizePos + sizeLength,
    size: readVint(buf, sizePos, sizeLength),
    sizeLength,
  };
}

/**
 * An element header with absolute offsets in the stream (where `ElementHeader` is relative to a Buffer);
 * `end` is Infinity for an unknown size.
 */
export interface StreamElement {
  id: number;
  start: number;
  dataStart: number;
  size: number;
  end: number;
}

/** The element header at the start of `bytes`, which begin at absolute offset `offset`; null until it is whole. */
export function streamElementAt(bytes: Buffer, offset: number): StreamElement | null {
  const header = readElementHeader(bytes, 0, bytes.length, offset);
  if (header === null) return null;
  const dataStart = offset + header.dataStart;
  const end = header.size === UNKNOWN_SIZE ? Infinity : dataStart + header.size;
  return { id: header.id, start: offset, dataStart, size: header.size, end };
}

/** Only Segment and Cluster may have an unknown size (RFC 9559 §6.2): throws UNKNOWN_SIZE_NOT_ALLOWED for others. */
export function requireKnownSize(id: number, size: number, offset: number, parentId?: number): void {
  if (size !== UNKNOWN_SIZE) return;
  const where = parentId === undefined ? '' : ` inside ${elementName(parentId)}`;
  throw new MatroskaError(
    'UNKNOWN_SIZE_NOT_ALLOWED',
    `${elementName(id)}${where} has an unknown size, which only Segment and Cluster may have`,
    offset,
  );
}

/** BAD_SIZE for a child (of `length` bytes, when known) that does not fit in its parent. */
export function overrunsParent(
  id: number,
  length: number | null,
  parentId: number,
  offset: number,
): MatroskaError {
  const name = id === 0 ? 'an element header' : elementName(id);
  const what = length === null ? name : `${name} of ${length} bytes`;
  return new MatroskaError(
    'BAD_SIZE',
    `${what} overruns the end of its parent ${elementName(parentId)}`,
    offset,
  );
}

/**
 * The children of a master element held whole in `buf` (data from `start` to `end`). Each child must have a
 * known size that stays inside the parent: otherwise UNKNOWN_SIZE_NOT_ALLOWED or BAD_SIZE.
 */
export function* children(
  buf: Buffer,
  start: number,
  end: number,
  parentId: number,
  absoluteBase: number,
): Generator<ElementHeader> {
  let pos = start;
  while (pos < end) {
    const child = readElementHeader(buf, pos, end, absoluteBase);
    if (child === null) throw overrunsParent(idOrZero(buf, pos, end), null, parentId, absoluteBase + pos);
    requireKnownSize(child.id, child.size, absoluteBase + pos, parentId);
    const childEnd = child.dataStart + child.size;
    if (childEnd > end) throw overrunsParent(child.id, childEnd - pos, parentId, absoluteBase + pos);
    yield child;
    pos = childEnd;
  }
}

/** The ID at `pos` for a message about a header cut short by its parent's end (0 when even the ID is cut). */
function idOrZero(buf: Buffer, pos: number, end: number): number {
  const length = idLength(buf[pos]);
  return pos + length <= end ? readId(buf, pos, length) : 0;
}

export function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0').toUpperCase();
}
