/**
 * The fuzzer's mutation engine: EBML-aware edits of real Matroska streams (remove, duplicate, move and
 * shuffle elements, lie in size fields, nest unknown-size elements, splice in a second EBML header, merge
 * clusters, rewrite block headers) and blind ones (bit flips, byte changes, truncation). A mutation is plain
 * data, `{ op, a, b, c }` with three non-negative integers whose meaning each op gives below, so that
 * fast-check can generate and shrink lists of them; applying one is a pure function of the bytes.
 * Test support only, like ../ebml-builders.ts: the server never imports it.
 */
import {
  ID,
  UNKNOWN_SIZE,
  encodeUint,
  encodeVint,
  maxVintValue,
  readElementHeader,
  readUint,
  unknownSizeVint,
  vintLength,
} from '../../server/matroska/ebml.js';
import { element, idBytes, seededRandom } from '../ebml-builders.js';
import { ENDS_UNKNOWN_CLUSTER } from '../../server/matroska/cluster-reader.js';

/** Master elements the tree walk descends into (RFC 9559); every other element is a leaf. */
const MASTERS = new Set<number>([
  ID.EBML,
  ID.Segment,
  ID.SeekHead,
  0x4dbb, // Seek
  ID.Info,
  ID.Tracks,
  ID.TrackEntry,
  ID.Video,
  ID.Audio,
  0x6d80, // ContentEncodings
  0x6240, // ContentEncoding
  ID.Cluster,
  ID.BlockGroup,
  0x75a1, // BlockAdditions
  0xa6, // BlockMore
  ID.Cues,
  0xbb, // CuePoint
  0xb7, // CueTrackPositions
  ID.Tags,
  0x7373, // Tag
  0x63c0, // Targets
  0x67c8, // SimpleTag
  ID.Chapters,
  0x45b9, // EditionEntry
  ID.Attachments,
  0x61a7, // AttachedFile
]);

/** IDs that end an unknown-size element in the walk: the reader's own rule for Clusters (RFC 8794 §6.2). */
const UPPER_LEVEL = ENDS_UNKNOWN_CLUSTER;

const UINT_IDS = new Set<number>([
  ID.Timestamp,
  ID.TimestampScale,
  ID.TrackNumber,
  ID.TrackType,
  ID.PixelWidth,
  ID.PixelHeight,
  ID.Channels,
  ID.ReferenceBlock,
]);

/** Largest input a mutation may make: beyond it the mutation is skipped (the input is returned unchanged). */
export const MAX_MUTATED_BYTES = 512 * 1024;
const MAX_NODES = 20_000;
const MAX_DEPTH = 10;

export interface EbmlNode {
  id: number;
  start: number;
  /** Where the size field starts. */
  sizeStart: number;
  dataStart: number;
  /** Where the element ends in the walk (for an unknown size: where the walk closed it). */
  end: number;
  /** Declared size, or UNKNOWN_SIZE. */
  size: number;
  parent: EbmlNode | null;
  children: EbmlNode[];
}

/**
 * The element tree of `bytes`, walked leniently: the walk stops quietly at the first header it cannot read
 * (a mutated input is often broken) and clamps sizes to the bytes present. Nodes in document order.
 */
export function parseTree(bytes: Buffer): EbmlNode[] {
  const nodes: EbmlNode[] = [];
  walk(bytes, 0, bytes.length, null, 0, nodes);
  return nodes;
}

function walk(
  bytes: Buffer,
  from: number,
  to: number,
  parent: EbmlNode | null,
  depth: number,
  nodes: EbmlNode[],
): number {
  let pos = from;
  while (pos < to && nodes.length < MAX_NODES) {
    let header;
    try {
      header = readElementHeader(bytes, pos, to, 0);
    } catch {
      return pos;
    }
    if (header === null) return pos;
    if (parent !== null && parent.size === UNKNOWN_SIZE && UPPER_LEVEL.has(header.id)) {
      // Closes the unknown-size parent, unless the parent is a Segment and this is one of its children.
      if (!(parent.id === ID.Segment && header.id !== ID.EBML && header.id !== ID.Segment)) return pos;
    }
    const declaredEnd = header.size === UNKNOWN_SIZE ? to : header.dataStart + header.size;
    const node: EbmlNode = {
      id: header.id,
      start: pos,
      sizeStart: header.dataStart - header.sizeLength,
      dataStart: header.dataStart,
      end: Math.min(declaredEnd, to),
      size: header.size,
      parent,
      children: [],
    };
    nodes.push(node);
    parent?.children.push(node);
    if (MASTERS.has(header.id) && depth < MAX_DEPTH) {
      const stopped = walk(bytes, node.dataStart, node.end, node, depth + 1, nodes);
      if (header.size === UNKNOWN_SIZE) node.end = stopped;
    }
    if (node.end <= pos) return pos;
    pos = node.end;
  }
  return pos;
}

export const MUTATION_OPS = [
  'flipBits',
  'setBytes',
  'truncate',
  'removeElement',
  'duplicateElement',
  'moveElement',
  'shuffleChildren',
  'sizeField',
  'nestUnknown',
  'spliceHeader',
  'crossover',
  'blockGroup',
  'mergeClusters',
  'uintValue',
  'blockHeader',
  'insertElement',
  'hugeElement',
] as const;

export type MutationOp = (typeof MUTATION_OPS)[number];

/** One edit; `a`, `b` and `c` pick what it touches and how (each op says), taken modulo what exists. */
export interface Mutation {
  op: MutationOp;
  a: number;
  b: number;
  c: number;
}

/** Other streams a crossover can take elements from. */
export interface MutationContext {
  donors: readonly Buffer[];
}

/** Applies `mutations` in order; each one that does not apply (nothing to touch, too large) is skipped. */
export function applyMutations(
  seed: Buffer,
  mutations: readonly Mutation[],
  context: MutationContext,
): Buffer {
  let bytes = seed;
  for (const mutation of mutations) {
    if (bytes.length === 0) break;
    const next = applyMutation(bytes, mutation, context);
    if (next.length <= MAX_MUTATED_BYTES) bytes = next;
  }
  return bytes;
}

export function applyMutation(bytes: Buffer, m: Mutation, context: MutationContext): Buffer {
  const { a, b, c } = m;
  switch (m.op) {
    // a: position; b: bit; c: how many more bits nearby (0–7), placed by a PRNG seeded with c.
    case 'flipBits': {
      const out = Buffer.from(bytes);
      const random = seededRandom(c);
      let pos = a % out.length;
      for (let i = 0; i <= c % 8; i++) {
        out[pos] ^= 1 << (i === 0 ? b % 8 : Math.floor(random() * 8));
        pos = Math.min(out.length - 1, pos + Math.floor(random() * 16));
      }
      return out;
    }
    // a: position; b: which value (even: one of the edge values, odd: any byte); c: how many bytes (1–4).
    case 'setBytes': {
      const out = Buffer.from(bytes);
      const values = [0x00, 0xff, 0x80, 0x7f, 0x01, 0x40, 0x20, 0x10, 0x08];
      const value = b % 2 === 0 ? values[(b >> 1) % values.length] : (b >> 1) & 0xff;
      const pos = a % out.length;
      out.fill(value, pos, Math.min(out.length, pos + 1 + (c % 4)));
      return out;
    }
    // a: where (an element boundary when b is even, any byte when odd); c: bytes either side of it (-2…+2).
    case 'truncate': {
      const cut = b % 2 === 0 ? nodeBoundary(bytes, a) + ((c % 5) - 2) : a % bytes.length;
      return bytes.subarray(0, clamp(cut, 0, bytes.length - 1));
    }
    // a: element; b: odd to leave the parents' sizes as they were (then they lie).
    case 'removeElement': {
      const node = pick(parseTree(bytes), a);
      if (!node) return bytes;
      return splice(bytes, node.start, node.end - node.start, Buffer.alloc(0), b % 2 === 0 ? node : null);
    }
    // a: element; b: odd to leave the parents' sizes; c: copies (1–3).
    case 'duplicateElement': {
      const node = pick(parseTree(bytes), a);
      if (!node) return bytes;
      const copy = bytes.subarray(node.start, node.end);
      const copies = Buffer.concat(Array.from({ length: 1 + (c % 3) }, () => copy));
      return splice(bytes, node.end, 0, copies, b % 2 === 0 ? node : null);
    }
    // a: element; b: the element before which it lands; c: odd to leave a copy behind.
    case 'moveElement': {
      const nodes = parseTree(bytes);
      const node = pick(nodes, a);
      const target = pick(nodes, b);
      if (!node || !target) return bytes;
      const moved = Buffer.from(bytes.subarray(node.start, node.end));
      if (target.start >= node.start && target.start < node.end) return bytes;
      if (c % 2 === 1) return splice(bytes, target.start, 0, moved, null);
      const without = Buffer.concat([bytes.subarray(0, node.start), bytes.subarray(node.end)]);
      const at = target.start > node.start ? target.start - moved.length : target.start;
      return Buffer.concat([without.subarray(0, at), moved, without.subarray(at)]);
    }
    // a: master element; b: PRNG seed for the order (sizes stay right: the bytes are the same).
    case 'shuffleChildren': {
      const parent = pick(
        parseTree(bytes).filter((n) => n.children.length > 1),
        a,
      );
      if (!parent) return bytes;
      const parts = parent.children.map((child) => bytes.subarray(child.start, child.end));
      const random = seededRandom(b);
      for (let i = parts.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [parts[i], parts[j]] = [parts[j], parts[i]];
      }
      const first = parent.children[0].start;
      const last = parent.children[parent.children.length - 1].end;
      return Buffer.concat([bytes.subarray(0, first), ...parts, bytes.subarray(last)]);
    }
    // a: element; b: what its size becomes; c: the amount for off-by and random sizes.
    case 'sizeField': {
      const node = pick(parseTree(bytes), a);
      if (!node) return bytes;
      return withSizeField(bytes, node, b % 8, c);
    }
    // a: first of the siblings wrapped; c: how many (1–4); b: the wrapper's ID, with an unknown size
    // (a known one when b is past the list).
    case 'nestUnknown': {
      const nodes = parseTree(bytes);
      const first = pick(nodes, a);
      if (!first) return bytes;
      const siblings = first.parent ? first.parent.children : nodes.filter((n) => n.parent === null);
      const from = siblings.indexOf(first);
      const last = siblings[Math.min(siblings.length - 1, from + (c % 4))];
      const ids = [ID.Cluster, ID.BlockGroup, ID.Segment, ID.Tracks, ID.TrackEntry, ID.Info, 0x4abc];
      const inner = bytes.subarray(first.start, last.end);
      const wrapperId = ids[b % ids.length];
      const sizeField = b < ids.length ? unknownSizeVint(1 + (c % 8)) : encodeVint(inner.length, 8);
      const wrapper = Buffer.concat([idBytes(wrapperId), sizeField]);
      return splice(bytes, first.start, 0, wrapper, first.parent ? first : null);
    }
    // a: the element before which the seed's EBML head lands; b: odd to add a live Segment start after it.
    case 'spliceHeader': {
      const nodes = parseTree(bytes);
      const head = nodes.find((n) => n.id === ID.EBML && n.parent === null);
      const target = pick(nodes, a);
      if (!head || !target) return bytes;
      const parts = [bytes.subarray(head.start, head.end)];
      if (b % 2 === 1) parts.push(idBytes(ID.Segment), unknownSizeVint(8));
      return splice(bytes, target.start, 0, Buffer.concat(parts), null);
    }
    // a: the element before which it lands; b: element of the donor; c: which donor.
    case 'crossover': {
      if (context.donors.length === 0) return bytes;
      const donor = context.donors[c % context.donors.length];
      const given = pick(parseTree(donor), b);
      const target = pick(parseTree(bytes), a);
      if (!given || !target) return bytes;
      return splice(bytes, target.start, 0, donor.subarray(given.start, given.end), target);
    }
    // a: SimpleBlock made a BlockGroup; b: its shape (ReferenceBlock as the flag says, none, always, two
    // Blocks, Block after the ReferenceBlock); c: odd to leave the parents' sizes.
    case 'blockGroup': {
      const block = pick(
        parseTree(bytes).filter((n) => n.id === ID.SimpleBlock),
        a,
      );
      if (!block) return bytes;
      const group = blockGroupFor(bytes.subarray(block.dataStart, block.end), b % 5);
      return splice(bytes, block.start, block.end - block.start, group, c % 2 === 0 ? block : null);
    }
    // a: Cluster that takes in the next 1–3 (b); c: odd for an unknown size on the merged one.
    case 'mergeClusters':
      return mergeClusters(bytes, a, 1 + (b % 3), c % 2 === 1);
    // a: unsigned int element (Timestamp, TimestampScale, TrackNumber, …); b: its new value (one of the
    // edge values, or b itself when past them); c: odd to write it in 8 bytes rather than its own width.
    case 'uintValue': {
      const node = pick(
        parseTree(bytes).filter((n) => UINT_IDS.has(n.id) && n.size !== UNKNOWN_SIZE && n.size <= 8),
        a,
      );
      if (!node) return bytes;
      const edges = [
        0,
        1,
        0x7f,
        0xff,
        0x7fff,
        0x8000,
        0xffff,
        2 ** 32 - 1,
        2 ** 53 - 1,
        2 ** 53,
        2 ** 64 - 1,
      ];
      const value = b % (2 * edges.length) < edges.length ? edges[b % edges.length] : b;
      const width = c % 2 === 1 ? 8 : Math.max(node.size, 1);
      const data = Buffer.alloc(width);
      const encoded = encodeUintClamped(value);
      encoded.subarray(Math.max(0, encoded.length - width)).copy(data, Math.max(0, width - encoded.length));
      const element = Buffer.concat([bytes.subarray(node.start, node.sizeStart), encodeVint(width), data]);
      return splice(bytes, node.start, node.end - node.start, element, node);
    }
    // a: SimpleBlock or Block; b: which field (track number, relative timestamp, flags, 2-byte track vint);
    // c: its new value.
    case 'blockHeader': {
      const block = pick(
        parseTree(bytes).filter(
          (n) => (n.id === ID.SimpleBlock || n.id === ID.Block) && n.end - n.dataStart >= 4,
        ),
        a,
      );
      if (!block) return bytes;
      return withBlockHeader(bytes, block, b % 4, c);
    }
    // a: the element before which it lands; b: its ID (any value, so often invalid); c: its size field
    // (random bits) and data length.
    case 'insertElement': {
      const target = pick(parseTree(bytes), a);
      const at = target ? target.start : a % bytes.length;
      const random = seededRandom(c);
      const sizeWidth = 1 + (c % 8);
      const size = Buffer.alloc(sizeWidth);
      for (let i = 0; i < sizeWidth; i++) size[i] = Math.floor(random() * 256);
      size[0] = (size[0] & (0xff >> sizeWidth)) | (0x80 >> (sizeWidth - 1));
      const data = Buffer.alloc(c % 24, b & 0xff);
      return splice(bytes, at, 0, Buffer.concat([encodeUint(b % 2 ** 32, 1), size, data]), null);
    }
    // a: the element before which it lands; b: its ID; c: its size (near the caps, past them, 2^31, …).
    case 'hugeElement': {
      const target = pick(parseTree(bytes), a);
      if (!target) return bytes;
      const ids = [
        ID.Void,
        ID.Cluster,
        ID.SimpleBlock,
        ID.BlockGroup,
        ID.Tracks,
        ID.Info,
        ID.EBML,
        ID.Segment,
        0x4abc,
      ];
      const sizes = [2 ** 53 - 1, 2 ** 40, 2 ** 31, 2 ** 24, 1 << 20, (1 << 16) + 1, 4097, 0];
      const field = encodeVint(sizes[c % sizes.length], 8);
      const header = Buffer.concat([idBytes(ids[b % ids.length]), field, Buffer.alloc(c % 7)]);
      return splice(bytes, target.start, 0, header, null);
    }
  }
}

function pick<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** The start of an element (or the end of the input), chosen by `index`. */
function nodeBoundary(bytes: Buffer, index: number): number {
  const nodes = parseTree(bytes);
  return nodes.length === 0 ? index % bytes.length : nodes[index % nodes.length].start;
}

/**
 * Replaces `deleteCount` bytes at `at` with `insert`. When `inside` is given, its known-size ancestors (and
 * itself when the change is inside its data) get sizes that account for the change, in their own field
 * widths when that fits (else they are left lying).
 */
function splice(
  bytes: Buffer,
  at: number,
  deleteCount: number,
  insert: Buffer,
  inside: EbmlNode | null,
): Buffer {
  const out = Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at + deleteCount)]);
  const delta = insert.length - deleteCount;
  for (let node = inside; node !== null; node = node.parent) {
    // Bytes added just after `inside` follow it; for its ancestors they are one more child.
    const justAfter = node === inside && deleteCount === 0 && at === node.end;
    const changesNode = node.dataStart <= at && at + deleteCount <= node.end && !justAfter;
    if (node.size === UNKNOWN_SIZE || !changesNode) continue;
    const width = node.dataStart - node.sizeStart;
    const size = node.size + delta;
    if (size >= 0 && size <= Math.min(maxVintValue(width), Number.MAX_SAFE_INTEGER))
      encodeVint(size, width).copy(out, node.sizeStart);
  }
  return out;
}

/** The largest size a field of `width` bytes holds (all data bits set but the last: all set means unknown). */
function largestSizeField(width: number): Buffer {
  const field = unknownSizeVint(width);
  field[width - 1] ^= 1;
  return field;
}

/** The element with its size field replaced: 0 unknown, 1 largest, 2 zero, 3/4 off by ±(1–16), 5 random, 6 widened to 8 bytes, 7 2^53 - 1. */
function withSizeField(bytes: Buffer, node: EbmlNode, kind: number, amount: number): Buffer {
  const width = node.dataStart - node.sizeStart;
  const declared = node.size === UNKNOWN_SIZE ? node.end - node.dataStart : node.size;
  const fit = (value: number): Buffer =>
    encodeVint(clamp(value, 0, Math.min(maxVintValue(width), Number.MAX_SAFE_INTEGER)), width);
  let field: Buffer;
  let fixParents = false;
  switch (kind) {
    case 0:
      field = unknownSizeVint(width);
      break;
    case 1:
      field = largestSizeField(width);
      break;
    case 2:
      field = fit(0);
      break;
    case 3:
      field = fit(declared + 1 + (amount % 16));
      break;
    case 4:
      field = fit(declared - 1 - (amount % 16));
      break;
    case 5:
      field = fit(amount % (maxVintValue(width) + 1));
      break;
    case 6:
      field = declared > Number.MAX_SAFE_INTEGER ? largestSizeField(8) : encodeVint(declared, 8);
      fixParents = true;
      break;
    default:
      field = encodeVint(Number.MAX_SAFE_INTEGER, 8);
      break;
  }
  return splice(bytes, node.sizeStart, width, field, fixParents ? node.parent : null);
}

/** A BlockGroup holding the SimpleBlock's data: shape 0 as its keyframe flag says, 1 no reference, 2 always, 3 two Blocks, 4 reference first. */
function blockGroupFor(simpleBlockData: Buffer, shape: number): Buffer {
  const data = Buffer.from(simpleBlockData);
  const trackLength = vintLength(data[0]) || 1;
  const flags = data[trackLength + 2] ?? 0;
  if (trackLength + 2 < data.length) data[trackLength + 2] = flags & 0x0e;
  const block = element(ID.Block, data);
  const reference = element(ID.ReferenceBlock, Buffer.from([0xff, 0xdf]));
  const keyframe = (flags & 0x80) !== 0;
  const children =
    shape === 0
      ? keyframe
        ? [block]
        : [block, reference]
      : shape === 1
        ? [block]
        : shape === 2
          ? [block, reference]
          : shape === 3
            ? [block, block]
            : [reference, block];
  return element(ID.BlockGroup, ...children);
}

/** Merges `count` Clusters after the `index`th into it, moving their blocks' times onto its Timestamp. */
function mergeClusters(bytes: Buffer, index: number, count: number, unknownSize: boolean): Buffer {
  const clusters = parseTree(bytes).filter((n) => n.id === ID.Cluster);
  if (clusters.length < 2) return bytes;
  const first = clusters[index % (clusters.length - 1)];
  const rest = clusters.slice(clusters.indexOf(first) + 1, clusters.indexOf(first) + 1 + count);
  const base = clusterTimestamp(bytes, first);
  if (base === null) return bytes;
  const parts: Buffer[] = [bytes.subarray(first.dataStart, first.end)];
  let end = first.end;
  for (const next of rest) {
    // Only clusters that follow each other directly, so nothing between them is lost.
    if (next.start !== end) break;
    const time = clusterTimestamp(bytes, next);
    for (const child of next.children) {
      if (child.id === ID.Timestamp) continue;
      const copy = Buffer.from(bytes.subarray(child.start, child.end));
      if (time !== null) shiftBlockTimes(copy, child, time - base);
      parts.push(copy);
    }
    end = next.end;
  }
  const data = Buffer.concat(parts);
  const sizeField = unknownSize ? unknownSizeVint(8) : encodeVint(data.length, 8);
  const merged = Buffer.concat([idBytes(ID.Cluster), sizeField, data]);
  return splice(bytes, first.start, end - first.start, merged, first.parent);
}

function clusterTimestamp(bytes: Buffer, cluster: EbmlNode): number | null {
  const node = cluster.children.find((n) => n.id === ID.Timestamp);
  if (!node || node.end - node.dataStart > 6) return null;
  return readUint(bytes, node.dataStart, node.end - node.dataStart);
}

/** Adds `shift` to the int16 relative time of the block in `copy` (a copy of `node`), wrapping on overflow. */
function shiftBlockTimes(copy: Buffer, node: EbmlNode, shift: number): void {
  const blocks =
    node.id === ID.SimpleBlock
      ? [node]
      : node.id === ID.BlockGroup
        ? node.children.filter((n) => n.id === ID.Block)
        : [];
  for (const block of blocks) {
    const at = block.dataStart - node.start;
    const trackLength = vintLength(copy[at]);
    const timeAt = at + trackLength;
    if (trackLength === 0 || timeAt + 2 > copy.length) continue;
    const shifted = copy.readInt16BE(timeAt) + shift;
    copy.writeInt16BE(((((shifted + 0x8000) % 0x10000) + 0x10000) % 0x10000) - 0x8000, timeAt);
  }
}

/** Field 0 track number, 1 relative timestamp, 2 flags, 3 the track number as a 2-byte vint. */
function withBlockHeader(bytes: Buffer, block: EbmlNode, field: number, value: number): Buffer {
  const out = Buffer.from(bytes);
  const at = block.dataStart;
  const trackLength = vintLength(out[at]) || 1;
  switch (field) {
    case 0: {
      const tracks = [0x80, 0x81, 0x82, 0x83, 0xff, 0x00, 0x40, 0x01];
      out[at] = value % 2 === 0 ? tracks[(value >> 1) % tracks.length] : (value >> 1) & 0xff;
      return out;
    }
    case 1: {
      const times = [-0x8000, 0x7fff, 0, -1, 1];
      if (at + trackLength + 2 > block.end) return out;
      const time = value % 2 === 0 ? times[(value >> 1) % times.length] : ((value >> 1) % 0x10000) - 0x8000;
      out.writeInt16BE(time, at + trackLength);
      return out;
    }
    case 2:
      if (at + trackLength + 3 > block.end) return out;
      out[at + trackLength + 2] = value & 0xff;
      return out;
    default: {
      if (trackLength !== 1) return out;
      const wide = Buffer.from([0x40, out[at] & 0x7f]);
      return splice(out, at, 1, wide, block);
    }
  }
}

/** An unsigned int in at most 8 bytes (values past 2^53 are written as all ones: the largest there is). */
function encodeUintClamped(value: number): Buffer {
  return Number.isSafeInteger(value) ? encodeUint(value, 1) : Buffer.alloc(8, 0xff);
}

/** The element with only the first `keep` bytes of its data (its known-size ancestors shrunk to match). */
export function withDataCut(bytes: Buffer, node: EbmlNode, keep: number): Buffer {
  const dataLength = node.end - node.dataStart;
  if (keep >= dataLength) return bytes;
  const header = Buffer.from(bytes.subarray(node.start, node.dataStart));
  if (node.size !== UNKNOWN_SIZE)
    encodeVint(keep, node.dataStart - node.sizeStart).copy(header, node.sizeStart - node.start);
  const shrunk = Buffer.concat([header, bytes.subarray(node.dataStart, node.dataStart + keep)]);
  return splice(bytes, node.start, node.end - node.start, shrunk, node);
}
