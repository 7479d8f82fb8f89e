/**
 * H.264 over RTP (RFC 6184), packetization mode 1: a NAL unit that fits in one packet goes as is
 * (§5.6), larger ones are cut into FU-A fragments (§5.8), and the parameter sets from the Matroska
 * CodecPrivate (an avcC record, ISO/IEC 14496-15 §5.3.3) go together in one STAP-A (§5.7.1) in
 * front of every keyframe, so a receiver that joins, or asks for a picture (PLI), can decode it.
 */
import { WebRtcError } from './errors.js';

export interface AvcConfig {
  /** Bytes of each NAL unit's length prefix in the frames (1, 2 or 4). */
  lengthSize: number;
  sps: Buffer[];
  pps: Buffer[];
  /** profile_idc, constraint flags, level_idc as six hex digits, e.g. `640c1f`. */
  profileLevelId: string;
}

const FU_A = 28;
const STAP_A = 24;
const NAL_IDR = 5;

/** Reads an avcC record. Throws BAD_AVCC when it is cut short or is not version 1. */
export function parseAvcC(avcC: Buffer): AvcConfig {
  const bad = (what: string): WebRtcError =>
    new WebRtcError(
      'BAD_AVCC',
      `The H.264 track's CodecPrivate (avcC, ${avcC.length} bytes) ${what}.`,
      'Serve an H.264 stream whose Matroska header carries a valid avcC (ffmpeg writes one with -c:v libx264).',
    );
  if (avcC.length < 7 || avcC[0] !== 1) throw bad('is not an avcC record of version 1');
  const lengthSize = (avcC[4] & 0x03) + 1;
  if (lengthSize === 3) throw bad('gives a NAL length size of 3 bytes, which H.264 does not allow');
  let pos = 6;
  const take = (count: number): Buffer[] => {
    const sets: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      if (pos + 2 > avcC.length) throw bad('is cut short in its parameter sets');
      const size = avcC.readUInt16BE(pos);
      pos += 2;
      if (pos + size > avcC.length) throw bad('is cut short in its parameter sets');
      sets.push(avcC.subarray(pos, pos + size));
      pos += size;
    }
    return sets;
  };
  const sps = take(avcC[5] & 0x1f);
  if (pos >= avcC.length) throw bad('has no picture parameter set count');
  const ppsCount = avcC[pos];
  pos += 1;
  const pps = take(ppsCount);
  if (sps.length === 0 || pps.length === 0) throw bad('holds no SPS or no PPS');
  const profileLevelId = avcC.subarray(1, 4).toString('hex');
  return { lengthSize, sps, pps, profileLevelId };
}

/** The NAL units of one length-prefixed (AVCC) frame, as subarrays. Throws BAD_NAL_LENGTH on overrun. */
export function avccNalUnits(frame: Buffer, lengthSize: number): Buffer[] {
  const units: Buffer[] = [];
  let pos = 0;
  while (pos < frame.length) {
    if (pos + lengthSize > frame.length) {
      throw new WebRtcError(
        'BAD_NAL_LENGTH',
        `An H.264 frame of ${frame.length} bytes ends inside a NAL length prefix (at byte ${pos}).`,
        'The input stream is damaged; check the encoder or the file.',
      );
    }
    const size = frame.readUIntBE(pos, lengthSize);
    pos += lengthSize;
    if (pos + size > frame.length) {
      throw new WebRtcError(
        'BAD_NAL_LENGTH',
        `A NAL unit of ${size} bytes overruns its H.264 frame of ${frame.length} bytes (at byte ${pos}).`,
        'The input stream is damaged; check the encoder or the file.',
      );
    }
    if (size > 0) units.push(frame.subarray(pos, pos + size));
    pos += size;
  }
  return units;
}

/** One STAP-A payload holding `units` (each with its 16-bit size), NRI the highest of theirs. */
export function stapA(units: readonly Buffer[]): Buffer {
  let nri = 0;
  for (const unit of units) nri = Math.max(nri, unit[0] & 0x60);
  const parts: Buffer[] = [Buffer.from([nri | STAP_A])];
  for (const unit of units) {
    const size = Buffer.alloc(2);
    size.writeUInt16BE(unit.length);
    parts.push(size, unit);
  }
  return Buffer.concat(parts);
}

/**
 * The RTP payloads of one access unit (a frame's NAL units), in order; the last one of the frame
 * carries the marker bit. A keyframe (it holds an IDR slice) gets the parameter sets in front, as a
 * STAP-A. `maxPayloadBytes` bounds every payload.
 */
export function packetizeH264(
  units: readonly Buffer[],
  config: Pick<AvcConfig, 'sps' | 'pps'>,
  maxPayloadBytes: number,
): Buffer[] {
  const payloads: Buffer[] = [];
  // Parameter sets inside the frame itself (an encoder that repeats them) make ours unneeded.
  const carriesSets = units.some((u) => (u[0] & 0x1f) === 7);
  if (!carriesSets && units.some((u) => (u[0] & 0x1f) === NAL_IDR)) {
    const sets = [...config.sps, ...config.pps];
    const stap = stapA(sets);
    if (stap.length <= maxPayloadBytes) payloads.push(stap);
    else for (const set of sets) payloads.push(...fragment(set, maxPayloadBytes));
  }
  for (const unit of units) {
    // Access unit delimiters and SEI carry nothing a WebRTC receiver needs (RFC 6184 allows dropping).
    const type = unit[0] & 0x1f;
    if (type === 9) continue;
    payloads.push(...fragment(unit, maxPayloadBytes));
  }
  return payloads;
}

/** One NAL unit as a single payload when it fits, else FU-A fragments (RFC 6184 §5.8). */
function fragment(unit: Buffer, maxPayloadBytes: number): Buffer[] {
  if (unit.length <= maxPayloadBytes) return [unit];
  const indicator = (unit[0] & 0xe0) | FU_A;
  const type = unit[0] & 0x1f;
  const chunk = maxPayloadBytes - 2;
  const out: Buffer[] = [];
  for (let pos = 1; pos < unit.length; pos += chunk) {
    const end = Math.min(pos + chunk, unit.length);
    const header = type | (pos === 1 ? 0x80 : 0) | (end === unit.length ? 0x40 : 0);
    out.push(Buffer.concat([Buffer.from([indicator, header]), unit.subarray(pos, end)]));
  }
  return out;
}
