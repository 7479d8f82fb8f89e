import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Settings } from '../server/api.js';
import { DEFAULT_SETTINGS, newToken, validateSettings } from '../server/settings.js';

/**
 * The file's format version, written as `"version"` next to the settings. 0 is a file without one
 * (before the field existed): its settings read the same. A file from a newer mkvcast is read as far
 * as this one understands it, and kept as a copy, since saving here would drop what it does not know.
 */
export const SETTINGS_FILE_VERSION = 1;

export interface LoadedSettings {
  settings: Settings;
  /** What was wrong with the file and what was used instead, for the log and the window. */
  warnings: string[];
}

/** Saving failed; the file on disk is still the previous one. The message says why and what to do. */
export class SettingsSaveError extends Error {
  override readonly name = 'SettingsSaveError';
}

const KNOWN = new Set<string>([...Object.keys(DEFAULT_SETTINGS), 'version']);

function saveProblem(path: string, error: NodeJS.ErrnoException): string {
  const kept = 'The previous settings file is kept, and the new settings apply until mkvcast quits.';
  switch (error.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `Could not save the settings to ${path}: the disk is full. ${kept} Free some space and change a setting again to save.`;
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return `Could not save the settings to ${path}: mkvcast may not write there (${error.code}). ${kept} Check that folder's permissions.`;
    default:
      return `Could not save the settings to ${path} (${error.message}). ${kept}`;
  }
}

/** The file mode of everything that holds the viewer token: the settings file and its copies. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Writes `data` to `path` (replacing what is there) readable by its owner only, whatever the umask
 * and whatever mode an older file at that path had, and flushes it to disk.
 */
export async function writePrivate(path: string, data: string | Buffer): Promise<void> {
  const file = await open(path, 'w', PRIVATE_FILE_MODE);
  try {
    // `open`'s mode applies only to a new file; a file left at this path keeps its own mode without this.
    await file.chmod(PRIVATE_FILE_MODE);
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
}

/**
 * The app's settings as a JSON file in the user data folder. Loading repairs what it can field by
 * field (a bad field takes its default, with a warning) and keeps a copy of a file it had to repair or
 * could not read; saving writes a temporary file and renames it over the old one, so a crash or a full
 * disk never leaves half a file.
 */
export class SettingsFile {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async load(): Promise<LoadedSettings> {
    // A first run gets its own viewer token, so the first link is already private.
    const defaults: Settings = { ...DEFAULT_SETTINGS, token: newToken() };
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { settings: defaults, warnings: [] };
      const backup = await this.backup();
      return {
        settings: defaults,
        warnings: [
          `Could not read ${this.path} (${(error as Error).message}); ${backup} Using the default settings.`,
        ],
      };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      parsed = error;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || parsed instanceof Error) {
      const backup = await this.backup();
      return {
        settings: defaults,
        warnings: [`${basename(this.path)} is not a settings object; ${backup} Using the default settings.`],
      };
    }
    const fields = parsed as Record<string, unknown>;
    const version = typeof fields.version === 'number' ? fields.version : 0;
    const { settings, errors } = validateSettings(fields, defaults);
    const warnings = errors.map(
      (e) => `Setting "${e.field}": ${e.message} Using ${JSON.stringify(settings[e.field])} instead.`,
    );
    if (version > SETTINGS_FILE_VERSION) {
      warnings.push(
        `${basename(this.path)} was written by a newer mkvcast (format ${version}, this one reads ${SETTINGS_FILE_VERSION}); only the settings this version knows are used.`,
      );
    } else {
      for (const key of Object.keys(fields).filter((k) => !KNOWN.has(k))) {
        warnings.push(`Setting "${key}" is not one this mkvcast knows; it is ignored.`);
      }
    }
    if (warnings.length === 0) return { settings, warnings };
    warnings.push(await this.backup());
    return { settings, warnings };
  }

  /**
   * Keeps a copy of the file as it was, next to it, and says where. The copy holds the viewer token, so
   * it is private like the file (a plain copyFile would keep the old file's mode, e.g. 0644).
   */
  private async backup(): Promise<string> {
    const stamp = this.now().toISOString().replace(/[:.]/g, '-');
    const copy = `${this.path}.broken-${stamp}`;
    try {
      await writePrivate(copy, await readFile(this.path));
      return `a copy of the old file is kept as ${basename(copy)}.`;
    } catch (error) {
      return `the old file could not be copied (${(error as Error).message}).`;
    }
  }

  /**
   * Writes atomically; saves run one after another in the order asked. A failed save (disk full, no
   * permission) leaves the previous file as it was and no temporary file, and rejects with a
   * SettingsSaveError that says what to do.
   */
  save(settings: Settings): Promise<void> {
    const next = this.writing.then(() => this.write(settings));
    this.writing = next.catch(() => {}); // the caller of this save gets its error; the next save still runs
    return next;
  }

  private async write(settings: Settings): Promise<void> {
    const temporary = `${this.path}.${process.pid}.tmp`;
    const text = `${JSON.stringify({ version: SETTINGS_FILE_VERSION, ...settings }, null, 2)}\n`;
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await writePrivate(temporary, text);
      await rename(temporary, this.path);
    } catch (error) {
      await unlink(temporary).catch(() => {}); // a partial temporary file must not be left behind
      throw new SettingsSaveError(saveProblem(this.path, error as NodeJS.ErrnoException), { cause: error });
    }
  }
}
