import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { FfmpegError, installHint } from './errors.js';

export function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The ffmpeg-static binary, when that optional package installed it (inside a packaged app: unpacked).
 * The package can be there without its binary (its download failed, or install scripts did not run):
 * then it is not a candidate, and ffmpeg on PATH is used.
 */
export function ffmpegStaticPath(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const path = require('ffmpeg-static') as unknown;
    if (typeof path !== 'string') return null;
    const binary = path.replace('app.asar', 'app.asar.unpacked');
    return isExecutable(binary) ? binary : null;
  } catch {
    return null;
  }
}

export function onPath(name: string, env: NodeJS.ProcessEnv): string | null {
  const exe = process.platform === 'win32' ? `${name}.exe` : name;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, exe);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/**
 * The ffmpeg to run for remuxing inputs: the configured path or FFMPEG_PATH, then ffmpeg-static, then
 * `ffmpeg` on PATH. A configured path that does not work is an error (not silently skipped).
 */
export function locateFfmpeg(configured?: string, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = configured || env.FFMPEG_PATH;
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new FfmpegError(
      'FFMPEG_MISSING',
      `ffmpeg was not found at ${explicit} (${configured ? 'the configured path' : 'FFMPEG_PATH'}).`,
      `Point it at an ffmpeg binary, or unset it to use the one on PATH. ${installHint()}`,
    );
  }
  const found = ffmpegStaticPath() ?? onPath('ffmpeg', env);
  if (found && isExecutable(found)) return found;
  throw new FfmpegError('FFMPEG_MISSING', 'ffmpeg was not found on this machine.', installHint());
}
