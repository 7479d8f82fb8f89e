/**
 * Bench-only preset variants, so that bench/quality.ts can try a setting without editing PRESETS: a spec
 * such as `crf24:cap4800:buf0.5` (CRF, the cap in kbit/s at 1920×1080/30, the VBV buffer in seconds of the
 * cap). Not a user-facing option: `share` never reads it.
 *
 * Run as a program, this is `mkvcast` with PRESETS.balanced replaced by the variant in
 * MKVCAST_BENCH_VARIANT, so that latency is measured through the real share path:
 *
 *   MKVCAST_BENCH_VARIANT=crf24:cap4800:buf0.5 node dist/bench/variant.js share --quality balanced …
 */
import { fileURLToPath } from 'node:url';
import { PRESETS, type PresetSpec } from '../server/ffmpeg/capture.js';

/** The reference picture the cap in a spec is given for (the test set's). */
const REFERENCE_PIXELS_PER_SEC = 1920 * 1080 * 30;

export const isVariant = (spec: string): boolean => spec.includes(':');

/** `crf24:cap4800:buf0.5` → a PresetSpec (4:2:0); every part is needed, in any order. */
export function parseVariant(spec: string): PresetSpec {
  const parts = new Map<string, number>();
  for (const part of spec.split(':')) {
    const match = /^(crf|cap|buf)(\d+(?:\.\d+)?)$/.exec(part);
    if (!match) throw new Error(`bad variant part "${part}" in "${spec}": use crfN:capKBPS:bufSECONDS`);
    parts.set(match[1], Number(match[2]));
  }
  const crf = parts.get('crf');
  const cap = parts.get('cap');
  const buf = parts.get('buf');
  if (crf === undefined || cap === undefined || buf === undefined)
    throw new Error(`variant "${spec}" needs crf, cap and buf, e.g. crf24:cap4800:buf0.5`);
  return {
    crf,
    capBitsPerPixel: (cap * 1000) / REFERENCE_PIXELS_PER_SEC,
    pixFmt: 'yuv420p',
    bufferSec: buf,
  };
}

/** Replaces PRESETS.balanced in this process (the bench's share child only). */
export function applyVariant(spec: string): void {
  // PRESETS is read-only to the app; this bench child alone swaps the default preset's settings.
  Object.assign(PRESETS.balanced as PresetSpec, parseVariant(spec));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const spec = process.env.MKVCAST_BENCH_VARIANT;
  if (!spec) throw new Error('set MKVCAST_BENCH_VARIANT, e.g. crf24:cap4800:buf0.5');
  applyVariant(spec);
  await import('../server/cli.js');
}
