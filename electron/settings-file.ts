import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Settings } from '../server/api.js';
import { DEFAULT_SETTINGS, newToken, validateSettings } from '../server/settings.js';

export interface LoadedSettings {
  settings: Settings;
  /** What was wrong with the file and what was used instead, for the log and the window. */
  warnings: string[];
}

/**
 * The app's settings as a JSON file in the user data folder. Loading repairs what it can field by
 * field (a bad field takes its default, with a warning) and keeps a copy of a file it had to repair or
 * could not read; saving writes a temporary file and renames it over the old one, so a crash never
 * leaves half a file.
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
      return {
        settings: defaults,
        warnings: [`Could not read ${this.path} (${(error as Error).message}); using the default settings.`],
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
    const { settings, errors } = validateSettings(parsed, defaults);
    if (errors.length === 0) return { settings, warnings: [] };
    const backup = await this.backup();
    const warnings = errors.map(
      (e) => `Setting "${e.field}": ${e.message} Using ${JSON.stringify(settings[e.field])} instead.`,
    );
    warnings.push(backup);
    return { settings, warnings };
  }

  /** Keeps a copy of the file as it was, next to it, and says where. */
  private async backup(): Promise<string> {
    const stamp = this.now().toISOString().replace(/[:.]/g, '-');
    const copy = `${this.path}.broken-${stamp}`;
    try {
      await copyFile(this.path, copy);
      return `a copy of the old file is kept as ${basename(copy)}.`;
    } catch (error) {
      return `the old file could not be copied (${(error as Error).message}).`;
    }
  }

  /** Writes atomically; saves run one after another in the order asked. */
  save(settings: Settings): Promise<void> {
    const next = this.writing.then(() => this.write(settings));
    this.writing = next.catch(() => {}); // the caller of this save gets its error; the next save still runs
    return next;
  }

  private async write(settings: Settings): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600, flush: true });
    await rename(temporary, this.path);
  }
}
