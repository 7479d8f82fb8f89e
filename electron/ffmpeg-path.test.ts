import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_SETTINGS } from '../server/settings.js';
import {
  FfmpegPathError,
  pathShapeProblem,
  verifyFfmpegPath,
  withCheckedFfmpeg,
  type FfmpegPathErrorCode,
} from './ffmpeg-path.js';

const SYSTEM_FFMPEG = '/usr/bin/ffmpeg';

/** Rejects with an FfmpegPathError of `code` whose message names the path and which says what to do. */
async function refused(path: string, code: FfmpegPathErrorCode, options = {}): Promise<FfmpegPathError> {
  let caught: unknown;
  try {
    await verifyFfmpegPath(path, options);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof FfmpegPathError, `${path} is refused: ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(caught.message.includes(path), `the message names the path: ${caught.message}`);
  assert.match(caught.fix, /Choose/);
  return caught;
}

describe('verifyFfmpegPath: the only ffmpeg the app runs is one it checked itself', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mkvcast-ffmpeg-path-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const script = async (name: string, body: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  };

  it('takes the real ffmpeg and answers its path', async () => {
    assert.equal(await verifyFfmpegPath(SYSTEM_FFMPEG), SYSTEM_FFMPEG);
  });

  it('refuses a program that answers -version as something else (ffprobe, a script)', async () => {
    const ffprobe = await refused('/usr/bin/ffprobe', 'FFMPEG_PATH_NOT_FFMPEG');
    assert.match(ffprobe.message, /answered "ffprobe version/);
    const evil = await script('ffmpeg', 'echo "pwned $1"');
    const error = await refused(evil, 'FFMPEG_PATH_NOT_FFMPEG');
    assert.match(
      error.message,
      /answered "pwned -version"/,
      'it was asked with an argument, not a shell line',
    );
  });

  it('refuses a program that says "ffmpeg version" but fails, or never finishes', async () => {
    const failing = await script('failing-ffmpeg', 'echo "ffmpeg version 9"; exit 3');
    assert.match((await refused(failing, 'FFMPEG_PATH_NOT_FFMPEG')).message, /exited with code 3/);
    // `sleep` without exec: a child of the script holds the pipe open after the script is killed.
    const pidFile = join(dir, 'sleeper.pid');
    const hanging = await script(
      'hanging-ffmpeg',
      `echo "ffmpeg version 9"; sleep 60 & echo $! > '${pidFile}'; wait`,
    );
    const started = Date.now();
    const error = await refused(hanging, 'FFMPEG_PATH_NOT_FFMPEG', { timeoutMs: 500 });
    assert.match(error.message, /did not finish within 500 ms/);
    assert.ok(Date.now() - started < 30_000, 'the answer does not wait for the pipe to close');
    // What the script started is killed with it (its own process group): no `sleep 60` is left behind.
    const sleeper = Number(await readFile(pidFile, 'utf8'));
    const alive = (): boolean => {
      try {
        process.kill(sleeper, 0);
        return true;
      } catch {
        return false;
      }
    };
    // SIGKILL is delivered at once; the deadline only covers a loaded machine's scheduling.
    for (const deadline = Date.now() + 10_000; alive() && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(alive(), false, `the script's child ${sleeper} was killed with it`);
  });

  it('refuses a relative path, a network path, a folder, a missing file and a file that is not executable', async () => {
    await refused('ffmpeg', 'FFMPEG_PATH_RELATIVE');
    await refused('./bin/ffmpeg', 'FFMPEG_PATH_RELATIVE');
    await refused('//server/share/ffmpeg', 'FFMPEG_PATH_NETWORK');
    await refused('\\\\server\\share\\ffmpeg.exe', 'FFMPEG_PATH_NETWORK');
    await refused(dir, 'FFMPEG_PATH_NOT_FILE');
    await refused(join(dir, 'missing-ffmpeg'), 'FFMPEG_PATH_MISSING');
    const plain = join(dir, 'not-executable');
    await writeFile(plain, '#!/bin/sh\necho "ffmpeg version 9"\n');
    await chmod(plain, 0o644);
    await refused(plain, 'FFMPEG_PATH_NOT_EXECUTABLE');
  });

  it("judges a path's shape by the platform's rules: drive letters and UNC on Windows", () => {
    const code = (path: string, platform: NodeJS.Platform): string | undefined =>
      pathShapeProblem(path, platform)?.code;
    assert.equal(code('C:\\ffmpeg\\bin\\ffmpeg.exe', 'win32'), undefined);
    assert.equal(code('C:/ffmpeg/bin/ffmpeg.exe', 'win32'), undefined);
    assert.equal(code('\\\\fileserver\\tools\\ffmpeg.exe', 'win32'), 'FFMPEG_PATH_NETWORK');
    assert.equal(code('\\\\?\\UNC\\fileserver\\tools\\ffmpeg.exe', 'win32'), 'FFMPEG_PATH_NETWORK');
    assert.equal(code('//fileserver/tools/ffmpeg.exe', 'win32'), 'FFMPEG_PATH_NETWORK');
    assert.equal(code('\\ffmpeg.exe', 'win32'), 'FFMPEG_PATH_RELATIVE', "the current drive's root");
    assert.equal(code('C:ffmpeg.exe', 'win32'), 'FFMPEG_PATH_RELATIVE', "the drive's current folder");
    assert.equal(code('/usr/bin/ffmpeg', 'win32'), 'FFMPEG_PATH_RELATIVE');
    assert.equal(code('/usr/bin/ffmpeg', 'darwin'), undefined);
    assert.equal(code('//usr/bin/ffmpeg', 'linux'), 'FFMPEG_PATH_NETWORK');
    assert.equal(code('/usr/bin/ffmpeg\n', 'linux'), 'FFMPEG_PATH_RELATIVE');
  });

  it('a stored ffmpeg path is checked when the settings load, and dropped with a warning when it fails', async () => {
    const stored = (ffmpegPath: string): typeof DEFAULT_SETTINGS => ({ ...DEFAULT_SETTINGS, ffmpegPath });
    assert.deepEqual(await withCheckedFfmpeg(stored('')), { settings: stored(''), warning: null });
    assert.deepEqual(await withCheckedFfmpeg(stored(SYSTEM_FFMPEG)), {
      settings: stored(SYSTEM_FFMPEG),
      warning: null,
    });
    const typed = await withCheckedFfmpeg(stored('/bin/sh'));
    assert.equal(typed.settings.ffmpegPath, '');
    assert.match(typed.warning ?? '', /^The stored ffmpeg path is not used: \/bin\/sh is not ffmpeg/);
    assert.match(typed.warning ?? '', /found automatically instead/);
  });
});
