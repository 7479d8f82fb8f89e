import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { AddPushResult, PushEntry, UserError } from '../server/api.js';
import { OutputError, writeProblem } from '../server/output/errors.js';
import { pushTarget } from '../server/output/push-target.js';
import { writePrivate } from './settings-file.js';

/**
 * Saving the pushes failed (a full disk, a folder mkvcast may not write to): the file on disk and the
 * list are as they were before the change. The message names the file and the system's reason.
 */
export class PushSaveError extends Error {
  override readonly name = 'PushSaveError';
  readonly code = 'PUSH_SAVE_FAILED';
  readonly fix: string;
  constructor(
    readonly path: string,
    error: NodeJS.ErrnoException,
  ) {
    super(`Could not save the pushes to ${path}: ${writeProblem(error)}. The list of pushes is as it was.`, {
      cause: error,
    });
    switch (error.code) {
      case 'ENOSPC':
      case 'EDQUOT':
        this.fix = 'Free some space on that disk, then add or remove the push again.';
        break;
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        this.fix = `Check that you may write to ${dirname(path)} (its permissions, or a read-only disk), then try again.`;
        break;
      default:
        this.fix = `Free some space and check the permissions of ${dirname(path)}, then try again.`;
    }
  }

  toUserError(): UserError {
    return { code: this.code, message: this.message, fix: this.fix };
  }
}

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

  /**
   * Writes atomically (temporary file, rename), one save after another. A failed save leaves the old
   * file and no temporary file, and rejects with a PushSaveError.
   */
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
      await unlink(temporary).catch(() => {}); // a partial temporary file must not be left behind
      throw new PushSaveError(this.path, error as NodeJS.ErrnoException);
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
  private queue: Promise<unknown> = Promise.resolve();
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
    return this.serial(() => this.addChecked(trimmed));
  }

  private async addChecked(trimmed: string): Promise<AddPushResult> {
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
    try {
      await this.change([...this.pushes, { id: this.newId(), url: trimmed }]);
    } catch (error) {
      // Shown under the URL input as the other push errors are; nothing was added.
      if (error instanceof PushSaveError) return { ok: false, error: error.toUserError() };
      throw error;
    }
    return { ok: true, pushes: this.list() };
  }

  /** Rejects with a PushSaveError (the push stays, in the list and the session) when the file cannot be saved. */
  remove(id: string): Promise<PushEntry[]> {
    return this.serial(async () => {
      await this.change(this.pushes.filter((p) => p.id !== id));
      return this.list();
    });
  }

  /** One change after another: each starts from the list the one before left. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task);
    this.queue = next.catch(() => {});
    return next;
  }

  /**
   * Saves first, then applies (a live session starts or stops the push). A save that fails changes
   * nothing: the list, the file and the session keep the pushes they had. Applying can only fail on a
   * URL the parser refused, which add() has already checked.
   */
  private async change(next: StoredPush[]): Promise<void> {
    await this.deps.file.save(next);
    this.pushes = next;
    await this.deps.apply(this.urls);
  }
}
