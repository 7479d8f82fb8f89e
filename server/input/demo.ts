import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FfmpegChild } from '../ffmpeg/child.js';
import { DEMO_DEFAULTS, demoArgs, type DemoOptions } from '../ffmpeg/demo.js';
import { FfmpegError, installHint } from '../ffmpeg/errors.js';
import { InputError } from './errors.js';
import type { InputSource } from './sources.js';

const run = promisify(execFile);

/** What this ffmpeg can put in the demo: libx264 is needed; the clock and Opus are nice to have. */
async function demoOptions(ffmpeg: string): Promise<DemoOptions> {
  const opts = { timeout: 10_000, maxBuffer: 4 * 1024 * 1024, windowsHide: true };
  const [filters, encoders, buildconf] = await Promise.all(
    [['-filters'], ['-encoders'], ['-buildconf']].map((args) =>
      run(ffmpeg, ['-hide_banner', ...args], opts).then(
        (result) => result.stdout,
        () => '',
      ),
    ),
  );
  if (!/^\s*V[A-Z.]{5}\s+libx264\s/m.test(encoders)) {
    throw new FfmpegError(
      'FFMPEG_FAILED',
      `The ffmpeg at ${ffmpeg} has no libx264, which the demo stream is encoded with.`,
      `Use an ffmpeg built with libx264 (--ffmpeg PATH). ${installHint()}`,
    );
  }
  return {
    ...DEMO_DEFAULTS,
    // drawtext without a font file finds its font through fontconfig; without either, no clock.
    clock: /^\s*\S+\s+drawtext\s/m.test(filters) && buildconf.includes('--enable-libfontconfig'),
    opus: /^\s*A[A-Z.]{5}\s+libopus\s/m.test(encoders),
  };
}

/**
 * `mkvcast demo`'s input: one ffmpeg making a test picture with a clock and a tone (see demoArgs), read
 * as live Matroska like a pipe. It runs until stopped.
 */
export function demoSource(ffmpeg: () => string): InputSource {
  return {
    description: 'a test picture with a clock and a tone (ffmpeg lavfi)',
    paced: false,
    async *open(signal) {
      const binary = ffmpeg();
      const child = new FfmpegChild(binary, demoArgs(await demoOptions(binary)));
      const onAbort = (): void => void child.stop();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        for await (const chunk of child.stdout) yield chunk as Buffer;
        const exit = await child.exited;
        if (!signal.aborted) {
          const said = exit.stderrTail.split('\n').filter(Boolean).slice(-3).join(' / ');
          throw new InputError(
            'INPUT_UNREADABLE',
            `The ffmpeg making the demo stream stopped${said ? `: ${said}` : ` (exit code ${exit.code})`}.`,
            'Check that ffmpeg works (ffmpeg -version), or point --ffmpeg at another one.',
          );
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
        await child.stop();
      }
    },
    async close() {},
  };
}
