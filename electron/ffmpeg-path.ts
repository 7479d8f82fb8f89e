/**
 * Which ffmpeg the app may run. The window cannot name one: a script injected into the page could
 * otherwise point `ffmpegPath` at any program and have `start()` run it. The path comes from a file
 * dialog that the main process opens, and is checked here before it is kept: a full path on this
 * computer's disks (not a network share), an existing executable file, that answers `-version` the
 * way ffmpeg does. Only such a path is ever run, and only by the main process.
 */
import { spawn } from 'node:child_process';
import { access, constants, stat } from 'node:fs/promises';
import { posix, win32 } from 'node:path';
import type { Settings } from '../server/api.js';
import { installHint } from '../server/ffmpeg/errors.js';

export type FfmpegPathErrorCode =
  | 'FFMPEG_PATH_RELATIVE'
  | 'FFMPEG_PATH_NETWORK'
  | 'FFMPEG_PATH_MISSING'
  | 'FFMPEG_PATH_NOT_FILE'
  | 'FFMPEG_PATH_NOT_EXECUTABLE'
  | 'FFMPEG_PATH_NOT_FFMPEG';

/** A chosen ffmpeg that will not be used: what is wrong with it and what to do. */
export class FfmpegPathError extends Error {
  override readonly name = 'FfmpegPathError';
  constructor(
    readonly code: FfmpegPathErrorCode,
    message: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** How long `ffmpeg -version` may take: it answers in tens of ms, but a loaded machine is slower. */
export const VERSION_TIMEOUT_MS = 10_000;
/** What is read of its answer: the first line is all that matters. */
const MAX_ANSWER_BYTES = 4096;

const CHOOSE_AGAIN = 'Choose the ffmpeg program itself, or click "Use default" to let mkvcast find one.';

/**
 * What is wrong with a path's shape, before anything on disk is looked at: it must be absolute on this
 * platform and must not name a network share (`\\server\share`, `//server/share`, `\\?\UNC\…`), whose
 * program another machine controls.
 */
export function pathShapeProblem(
  path: string,
  platform: NodeJS.Platform = process.platform,
): FfmpegPathError | null {
  // Two leading separators, either way round: a UNC path on Windows, implementation-defined on POSIX.
  if (/^[\\/]{2}/.test(path)) {
    return new FfmpegPathError(
      'FFMPEG_PATH_NETWORK',
      `${path} is on a network share; mkvcast runs ffmpeg only from this computer's own disks.`,
      `Copy ffmpeg to this computer and choose that copy. ${CHOOSE_AGAIN}`,
    );
  }
  // eslint-disable-next-line no-control-regex
  const absolute = (platform === 'win32' ? win32 : posix).isAbsolute(path) && !/[\u0000-\u001f]/.test(path);
  // win32.isAbsolute takes `\ffmpeg.exe` (the current drive's root): that depends on the working folder.
  if (!absolute || (platform === 'win32' && !/^[A-Za-z]:[\\/]/.test(path))) {
    return new FfmpegPathError(
      'FFMPEG_PATH_RELATIVE',
      `"${path}" is not a full path to a program.`,
      CHOOSE_AGAIN,
    );
  }
  return null;
}

async function fileProblem(path: string, platform: NodeJS.Platform): Promise<FfmpegPathError | null> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    return new FfmpegPathError('FFMPEG_PATH_MISSING', `There is no file at ${path}.`, CHOOSE_AGAIN, {
      cause: error,
    });
  }
  if (!info.isFile()) {
    return new FfmpegPathError(
      'FFMPEG_PATH_NOT_FILE',
      `${path} is ${info.isDirectory() ? 'a folder' : 'not a regular file'}, not a program.`,
      CHOOSE_AGAIN,
    );
  }
  const notExecutable = (detail: string): FfmpegPathError =>
    new FfmpegPathError(
      'FFMPEG_PATH_NOT_EXECUTABLE',
      `${path} is not a program this system runs (${detail}).`,
      CHOOSE_AGAIN,
    );
  if (platform === 'win32') {
    // Without a shell Windows starts only .exe (and .com) files; a .bat or .cmd is a script for cmd.exe.
    return /\.(exe|com)$/i.test(path) ? null : notExecutable('not an .exe file');
  }
  try {
    await access(path, constants.X_OK);
    return null;
  } catch {
    return notExecutable('it is not marked executable');
  }
}

interface VersionAnswer {
  line: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

/**
 * The first line `PATH -version` printed and how it exited, or that it did not exit in time (then it is
 * killed, and its output is no longer waited for: a child it started may hold the pipe open).
 */
function versionAnswer(path: string, timeoutMs: number): Promise<VersionAnswer> {
  return new Promise((resolve, reject) => {
    // Its own process group on POSIX, so that a timeout kills whatever it started too.
    const group = process.platform !== 'win32';
    const child = spawn(path, ['-version'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      windowsHide: true,
      detached: group,
    });
    const chunks: Buffer[] = [];
    let bytes = 0;
    const firstLine = (): string =>
      Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
    const timer = setTimeout(() => {
      try {
        if (group && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // It exited just now: nothing left to kill.
      }
      child.stdout.destroy();
      resolve({ line: firstLine(), code: null, signal: 'SIGKILL', timedOut: true });
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (bytes >= MAX_ANSWER_BYTES) return; // keep draining, so the program is not stuck on a full pipe
      chunks.push(chunk);
      bytes += chunk.length;
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ line: firstLine(), code, signal, timedOut: false });
    });
  });
}

export interface VerifyOptions {
  platform?: NodeJS.Platform;
  timeoutMs?: number;
}

/**
 * Checks that `path` is an ffmpeg this app may run, and resolves to it; rejects with an
 * FfmpegPathError that says what is wrong and what to do. Runs the program (`-version`), so only a
 * path the person chose in the main process's dialog may come here, never a string from the window.
 */
export async function verifyFfmpegPath(path: string, options: VerifyOptions = {}): Promise<string> {
  const platform = options.platform ?? process.platform;
  const problem = pathShapeProblem(path, platform) ?? (await fileProblem(path, platform));
  if (problem) throw problem;
  const timeoutMs = options.timeoutMs ?? VERSION_TIMEOUT_MS;
  const notFfmpeg = (what: string, cause?: unknown): FfmpegPathError =>
    new FfmpegPathError(
      'FFMPEG_PATH_NOT_FFMPEG',
      `${path} is not ffmpeg: asked for its version, ${what}.`,
      `Choose the ffmpeg program itself (not ffprobe, ffplay or another program). ${installHint(platform)}`,
      cause === undefined ? undefined : { cause },
    );
  let answer: VersionAnswer;
  try {
    answer = await versionAnswer(path, timeoutMs);
  } catch (error) {
    throw notFfmpeg(`it could not be started (${(error as Error).message})`, error);
  }
  if (answer.timedOut) {
    const limit = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
    throw notFfmpeg(`it did not finish within ${limit}`);
  }
  if (answer.signal) throw notFfmpeg(`it was stopped by ${answer.signal}`);
  if (!/^ffmpeg version \S/.test(answer.line) || answer.code !== 0) {
    const said = answer.line ? `it answered "${answer.line.slice(0, 120)}"` : 'it printed nothing';
    throw notFfmpeg(answer.code ? `${said} and exited with code ${answer.code}` : said);
  }
  return path;
}

/**
 * The settings as loaded, with their ffmpegPath checked as a chosen one is: the file may come from a
 * mkvcast that let the window type the path, or have been edited. A path that fails the check is not
 * used (ffmpeg is then found as usual), and the warning says why.
 */
export async function withCheckedFfmpeg(
  settings: Settings,
  verify: (path: string) => Promise<string> = verifyFfmpegPath,
): Promise<{ settings: Settings; warning: string | null }> {
  if (settings.ffmpegPath === '') return { settings, warning: null };
  try {
    await verify(settings.ffmpegPath);
    return { settings, warning: null };
  } catch (error) {
    if (!(error instanceof FfmpegPathError)) throw error;
    return {
      settings: { ...settings, ffmpegPath: '' },
      warning: `The stored ffmpeg path is not used: ${error.message} ffmpeg is found automatically instead; ${error.fix}`,
    };
  }
}
