import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { AddPushResult, PushEntry } from '../server/api.js';
import { OutputError } from '../server/output/errors.js';
import { pushTarget } from '../server/output/push-target.js';
import { writePrivate } from './settings-file.js';

/** The pushes file's format version. */
export const PUSH_FILE_VERSION = 1;
/** More pushes than this is a mistake (each is one more copy of the stream going out). */
export const MAX_PUSHES = 16;

/** One push as main keeps it: the full URL, with its password or key, never sent to the window. */
export interface StoredPush {
  id: string;
  url: string;
}

export interface LoadedPushes {
  pushes: StoredPush[];
  /** What was wrong with the file and what was done, for the log. Never a URL (it may hold a password). */
  warnings: string[];
}

/**
 * The app's pushes (relays) as a JSON file next to the settings, readable by its owner only (0600): it
 * holds Icecast passwords and stream keys, so it is kept apart from settings.json, which the window's
 * settings are read from. Written to a temporary file and renamed over the old one; a file that cannot
 * be read or parsed is kept as a private copy and the app starts with no pushes.
 */
export class PushListFile {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async load(): Promise<LoadedPushes> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { pushes: [], warnings: [] };
      return {
        pushes: [],
        warnings: [
          `Could not read ${this.path} (${(error as Error).message}); ${await this.backup()} No pushes.`,
        ],
      };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    const list = (parsed as { pushes?: unknown } | null)?.pushes;
    if (!Array.isArray(list)) {
      return {
        pushes: [],
        warnings: [`${basename(this.path)} is not a list of pushes; ${await this.backup()} No pushes.`],
      };
    }
    const pushes: StoredPush[] = [];
    let dropped = 0;
    for (const item of list) {
      const { id, url } = (item ?? {}) as Partial<StoredPush>;
      if (typeof id === 'string' && typeof url === 'string' && validPush(url) && pushes.length < MAX_PUSHES) {
        pushes.push({ id, url });
      } else dropped += 1;
    }
    if (dropped === 0) return { pushes, warnings: [] };
    return {
      pushes,
      warnings: [
        `${basename(this.path)}: ${dropped} push(es) could not be read and were left out; ${await this.backup()}`,
      ],
    };
  }

  /** A private copy of the file as it was (it may hold passwords), and where it is. */
  private async backup(): Promise<string> {
    const copy = `${this.path}.broken-${this.now().toISOString().replace(/[:.]/g, '-')}`;
    try {
      await writePrivate(copy, await readFile(this.path));
      return `a copy of the old file is kept as ${basename(copy)}.`;
    } catch (error) {
      return `the old file could not be copied (${(error as Error).message}).`;
    }
  }

  /** Writes atomically (temporary file, rename), one save after another; a failed save leaves the old file. */
  save(pushes: readonly StoredPush[]): Promise<void> {
    const next = this.writing.then(() => this.write(pushes));
    this.writing = next.catch(() => {});
    return next;
  }

  private async write(pushes: readonly StoredPush[]): Promise<void> {
    const temporary = `${this.path}.${process.pid}.tmp`;
    const text = `${JSON.stringify({ version: PUSH_FILE_VERSION, pushes }, null, 2)}\n`;
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await writePrivate(temporary, text);
      await rename(temporary, this.path);
    } catch (error) {
      await unlink(temporary).catch(() => {});
      throw error;
    }
  }
}

function validPush(url: string): boolean {
  try {
    pushTarget(url);
    return true;
  } catch {
    return false;
  }
}

/** What the window may see of a push: its id and the target without secrets. */
export function shownPushes(pushes: readonly StoredPush[]): PushEntry[] {
  return pushes.map(({ id, url }) => ({ id, shown: pushTarget(url).shown }));
}

/** Where the app's pushes go when they change: the file, and the session (next start, or live). */
export interface PushListDeps {
  file: Pick<PushListFile, 'save'>;
  apply: (urls: string[]) => Promise<void>;
  newId?: () => string;
}

/**
 * The app's list of pushes: add (checked by push-target's parser), remove, each change saved and
 * applied. Answers the window only redacted entries.
 */
export class PushList {
  private pushes: StoredPush[];
  private readonly newId: () => string;

  constructor(
    initial: readonly StoredPush[],
    private readonly deps: PushListDeps,
  ) {
    this.pushes = [...initial];
    this.newId = deps.newId ?? (() => randomBytes(6).toString('hex'));
  }

  get urls(): string[] {
    return this.pushes.map((p) => p.url);
  }

  list(): PushEntry[] {
    return shownPushes(this.pushes);
  }

  async add(url: string): Promise<AddPushResult> {
    const trimmed = url.trim();
    try {
      pushTarget(trimmed);
    } catch (error) {
      if (!(error instanceof OutputError)) throw error;
      // push-target's message names the URL through safeUrl (no password); the window shows it.
      return { ok: false, error: { code: error.code, message: error.message, fix: error.fix } };
    }
    // One push a target: the viewers table and the publisher know a push by its shown target.
    const shown = pushTarget(trimmed).shown;
    if (this.pushes.some((p) => pushTarget(p.url).shown === shown)) {
      return {
        ok: false,
        error: {
          code: 'PUSH_DUPLICATE',
          message: `${shown} is already in the list of pushes.`,
          fix: 'Each target is pushed to once; remove it first to change its password or key.',
        },
      };
    }
    if (this.pushes.length >= MAX_PUSHES) {
      return {
        ok: false,
        error: {
          code: 'PUSH_TOO_MANY',
          message: `mkvcast pushes to at most ${MAX_PUSHES} targets.`,
          fix: 'Push to one relay server (e.g. Icecast) and let it fan out to the others.',
        },
      };
    }
    await this.change([...this.pushes, { id: this.newId(), url: trimmed }]);
    return { ok: true, pushes: this.list() };
  }

  async remove(id: string): Promise<PushEntry[]> {
    await this.change(this.pushes.filter((p) => p.id !== id));
    return this.list();
  }

  /** Applies first (a live session starts or stops the push), then saves; the list follows both. */
  private async change(next: StoredPush[]): Promise<void> {
    this.pushes = next;
    await this.deps.apply(this.urls);
    await this.deps.file.save(next);
  }
}
