import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The portal's restore token between runs: with it the desktop shares the same screen again without
 * asking. The portal hands out a new one each time (a token is good for one use), so each run saves the
 * newest. It is forgotten when the user asks to choose again (`--choose-again`) and when the desktop
 * no longer takes it.
 */
export class RestoreTokenFile {
  constructor(readonly path: string) {}

  /** `$XDG_STATE_HOME/mkvcast/portal-restore-token` (~/.local/state when unset). */
  static forEnv(env: NodeJS.ProcessEnv): RestoreTokenFile {
    const state = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
    return new RestoreTokenFile(join(state, 'mkvcast', 'portal-restore-token'));
  }

  async load(): Promise<string | null> {
    const text = await readFile(this.path, 'utf8').catch(() => '');
    const token = text.trim();
    return /^[\w.:-]{1,256}$/.test(token) ? token : null;
  }

  /** Written atomically (a temp file renamed over the old one), readable by this user only. */
  async save(token: string | null): Promise<void> {
    if (token === null) return this.forget();
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, `${token}\n`, { mode: 0o600 });
    await rename(temp, this.path);
  }

  async forget(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
