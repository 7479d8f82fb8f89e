/**
 * Opus over RTP (RFC 7587): one Opus packet a payload, as it is (§4.2), timestamps at 48 kHz
 * whatever the coded rate (§4.1). A laced Matroska block holds several packets with one timestamp:
 * their durations, read from each packet's TOC byte (RFC 6716 §3.1), place the ones after the first.
 */

/** Samples at 48 kHz in one Opus packet, from its TOC byte and frame count; 0 for an empty packet. */
export function opusPacketSamples(packet: Buffer): number {
  if (packet.length === 0) return 0;
  const toc = packet[0];
  const config = toc >> 3;
  let frameSamples: number;
  if (config < 12)
    frameSamples = [480, 960, 1920, 2880][config & 3]; // SILK: 10, 20, 40, 60 ms
  else if (config < 16)
    frameSamples = [480, 960][config & 1]; // hybrid: 10, 20 ms
  else frameSamples = [120, 240, 480, 960][config & 3]; // CELT: 2.5, 5, 10, 20 ms
  const code = toc & 3;
  let frames = 1;
  if (code === 1 || code === 2) frames = 2;
  else if (code === 3) frames = packet.length > 1 ? packet[1] & 0x3f : 0;
  return frameSamples * frames;
}
