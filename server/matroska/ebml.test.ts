import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ID,
  UNKNOWN_SIZE,
  children,
  elementName,
  encodeUint,
  encodeVint,
  idLength,
  readElementHeader,
  readFloat,
  readUint,
  readVint,
  uintWidth,
  unknownSizeVint,
  vintLength,
  vintWidth,
  writeVint,
  writeVoid,
} from './ebml.js';
import { MatroskaError } from './errors.js';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

function matroskaError(code: string, offset?: number) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof MatroskaError, `expected a MatroskaError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (offset !== undefined) assert.equal(error.offset, offset, error.message);
    return true;
  };
}

test('the length of an element ID comes from its leading bits: 1 to 4 bytes', () => {
  assert.deepEqual([0x80, 0xff, 0x40, 0x7f, 0x20, 0x3f, 0x10, 0x1f].map(idLength), [1, 1, 2, 2, 3, 3, 4, 4]);
  assert.equal(idLength(0x08), 0, 'a 5-byte ID is not allowed in Matroska');
  assert.equal(idLength(0x00), 0);
});

test('the length of a size vint comes from its leading bits: 1 to 8 bytes, 0x00 is invalid', () => {
  assert.deepEqual(
    [0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01].map(vintLength),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  assert.equal(vintLength(0x00), 0);
});

test('an element header gives the ID as quoted in the spec, the size and where the data starts', () => {
  const header = readElementHeader(hex('1A45DFA3 9F 42 86'), 0, 7, 0);
  assert.deepEqual(header, { id: ID.EBML, start: 0, dataStart: 5, size: 31, sizeLength: 1 });
  const cluster = readElementHeader(hex('00 1F43B675 4123'), 1, 7, 0);
  assert.deepEqual(cluster, { id: ID.Cluster, start: 1, dataStart: 7, size: 0x123, sizeLength: 2 });
});

test('an element header that has not fully arrived reads as null', () => {
  const bytes = hex('1F43B675 40');
  for (let end = 0; end <= bytes.length; end++) assert.equal(readElementHeader(bytes, 0, end, 0), null);
});

test('an all-ones size of any width is the unknown size', () => {
  for (let width = 1; width <= 8; width++) {
    const header = readElementHeader(
      Buffer.concat([hex('1F43B675'), unknownSizeVint(width)]),
      0,
      4 + width,
      0,
    );
    assert.equal(header?.size, UNKNOWN_SIZE, `width ${width}`);
  }
  assert.deepEqual(unknownSizeVint(8), hex('01FFFFFFFFFFFFFF'));
  assert.deepEqual(unknownSizeVint(1), hex('FF'));
});

test('an ID longer than 4 bytes, starting with 0x00, or with a reserved value is BAD_ID at its absolute offset', () => {
  assert.throws(() => readElementHeader(hex('0812345678 81'), 0, 6, 100), matroskaError('BAD_ID', 100));
  assert.throws(() => readElementHeader(hex('AA 00 81'), 1, 3, 100), matroskaError('BAD_ID', 101));
  assert.throws(() => readElementHeader(hex('FF 81 00'), 0, 3, 0), matroskaError('BAD_ID', 0));
  assert.throws(() => readElementHeader(hex('80 81 00'), 0, 3, 0), matroskaError('BAD_ID', 0));
});

test('a size field starting with 0x00 is BAD_SIZE at the size field and names the element', () => {
  assert.throws(
    () => readElementHeader(hex('1F43B675 00 11'), 0, 6, 10),
    (error: unknown) => matroskaError('BAD_SIZE', 14)(error) && /Cluster \(0x1F43B675\)/.test(String(error)),
  );
});

test('sizes near 2^56 are read without overflow surprises', () => {
  assert.equal(readVint(hex('01FFFFFFFFFFFFFE'), 0, 8), 2 ** 56 - 2);
  assert.equal(readVint(hex('0100000000000001'), 0, 8), 1);
});

test('size vints encode in the smallest width or a given one, and refuse what does not fit', () => {
  assert.deepEqual(encodeVint(0), hex('80'));
  assert.deepEqual(encodeVint(126), hex('FE'));
  assert.deepEqual(encodeVint(127), hex('407F'), '127 is all ones in one byte, so it needs two');
  assert.deepEqual(encodeVint(5, 8), hex('0100000000000005'));
  for (let width = 1; width <= 8; width++) {
    const max = 2 ** (7 * width) - 2;
    const value = Math.min(max, Number.MAX_SAFE_INTEGER);
    assert.equal(vintWidth(value), width);
    assert.equal(readVint(encodeVint(value, width), 0, width), value);
  }
  assert.throws(() => encodeVint(127, 1), RangeError);
  assert.throws(() => writeVint(Buffer.alloc(9), 0, 1, 9), RangeError);
  assert.throws(() => encodeVint(-1), RangeError);
});

test('unsigned ints encode big-endian in the smallest width, 0 in no bytes at all', () => {
  assert.equal(uintWidth(0), 0);
  assert.deepEqual(encodeUint(0), Buffer.alloc(0));
  assert.deepEqual(encodeUint(0, 1), hex('00'));
  assert.deepEqual(encodeUint(0x1a45dfa3), hex('1A45DFA3'));
  assert.deepEqual(encodeUint(1000, 4), hex('000003E8'));
  assert.equal(readUint(encodeUint(Number.MAX_SAFE_INTEGER), 0, 7), Number.MAX_SAFE_INTEGER);
  assert.throws(() => encodeUint(-1), RangeError);
  assert.throws(() => encodeUint(1.5), RangeError);
});

test('floats are read from 4 or 8 bytes (0 bytes is 0.0); other widths are refused', () => {
  const four = Buffer.alloc(4);
  four.writeFloatBE(48000);
  const eight = Buffer.alloc(8);
  eight.writeDoubleBE(44100);
  assert.equal(readFloat(four, 0, 4), 48000);
  assert.equal(readFloat(eight, 0, 8), 44100);
  assert.equal(readFloat(eight, 0, 0), 0);
  assert.equal(readFloat(eight, 0, 3), null);
});

test('children of a master element are listed in order; one overrunning its parent is BAD_SIZE', () => {
  // TrackEntry { TrackNumber 1, TrackType 2 }
  const entry = hex('AE 86 D7 81 01 83 81 02');
  assert.deepEqual(
    [...children(entry, 2, entry.length, ID.TrackEntry, 0)].map((child) => child.id),
    [ID.TrackNumber, ID.TrackType],
  );
  const overrun = hex('AE 86 D7 81 01 83 82 02');
  assert.throws(() => [...children(overrun, 2, 7, ID.TrackEntry, 50)], matroskaError('BAD_SIZE', 55));
  const unknown = hex('AE 86 D7 FF 01');
  assert.throws(
    () => [...children(unknown, 2, 5, ID.TrackEntry, 0)],
    matroskaError('UNKNOWN_SIZE_NOT_ALLOWED', 2),
  );
});

test('element names in messages carry the spec name and the ID in hex', () => {
  assert.equal(elementName(ID.Cluster), 'Cluster (0x1F43B675)');
  assert.equal(elementName(ID.CRC32), 'CRC-32 (0xBF)');
  assert.equal(elementName(0x4abc), 'element 0x4ABC');
});

test('a Void of any length from 2 bytes blanks exactly that many bytes and reads back as one element', () => {
  for (const length of [2, 3, 11, 128, 129, 130, 20_000]) {
    const bytes = Buffer.alloc(length + 2, 0x55);
    writeVoid(bytes, 1, length);
    const header = readElementHeader(bytes, 1, bytes.length, 0)!;
    assert.equal(header.id, ID.Void);
    assert.equal(header.dataStart + header.size, 1 + length, `length ${length}`);
    assert.ok(bytes.subarray(header.dataStart, 1 + length).every((byte) => byte === 0));
    assert.deepEqual([bytes[0], bytes[length + 1]], [0x55, 0x55], 'nothing outside is touched');
  }
});
