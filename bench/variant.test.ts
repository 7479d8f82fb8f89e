import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PRESETS } from '../server/ffmpeg/capture.js';
import { variantCandidate } from './quality.js';
import { isVariant, parseVariant } from './variant.js';

const after = (args: string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

describe('bench preset variants', () => {
  it('a spec gives CRF, a cap in kbit/s at 1080p30 and the buffer in seconds', () => {
    const spec = parseVariant('buf0.5:crf23:cap4900');
    assert.equal(spec.crf, 23);
    assert.equal(spec.bufferSec, 0.5);
    assert.equal(spec.pixFmt, 'yuv420p');
    assert.equal(Math.round((1920 * 1080 * 30 * spec.capBitsPerPixel) / 1000), 4900);
    assert.ok(isVariant('crf24:cap4800:buf1') && !isVariant('balanced') && !isVariant('5000'));
  });

  it('a bad spec is refused with the form to use', () => {
    assert.throws(() => parseVariant('crf24:cap4800'), /needs crf, cap and buf/);
    assert.throws(
      () => parseVariant('crf24:cap4800:buffer1'),
      /bad variant part "buffer1".*crfN:capKBPS:bufSECONDS/,
    );
  });

  it("a variant candidate is encoded with share's arguments, and PRESETS is left as it was", () => {
    const before = structuredClone(PRESETS);
    const args = variantCandidate('crf22:cap4000:buf0.25').args;
    assert.equal(after(args, '-crf'), '22');
    assert.equal(after(args, '-maxrate'), '4000k');
    assert.equal(after(args, '-bufsize'), '1000k');
    assert.equal(after(args, '-tune'), 'zerolatency');
    assert.deepEqual(PRESETS, before);
  });
});
