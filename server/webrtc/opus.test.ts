import assert from 'node:assert/strict';
import { test } from 'node:test';
import { opusPacketSamples } from './opus.js';

test('Opus packet durations come from the TOC byte (RFC 6716 §3.1), at 48 kHz', () => {
  // config 31 (CELT FB 20 ms), code 0: one frame.
  assert.equal(opusPacketSamples(Buffer.from([(31 << 3) | 0, 1, 2])), 960);
  // config 1 (SILK NB 20 ms), code 1: two frames.
  assert.equal(opusPacketSamples(Buffer.from([(1 << 3) | 1, 1])), 1920);
  // config 16 (CELT NB 2.5 ms), code 3 with 4 frames.
  assert.equal(opusPacketSamples(Buffer.from([(16 << 3) | 3, 4])), 480);
  assert.equal(opusPacketSamples(Buffer.alloc(0)), 0);
});
