import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_SETTINGS } from '../server/settings.js';
import { promisify } from 'node:util';
import {
  PRIVATE_FILE_MODE,
  SETTINGS_FILE_VERSION,
  SettingsFile,
  SettingsSaveError,
} from './settings-file.js';

const run = promisify(execFile);

describe('SettingsFile', () => {
  let dir: string;
  let n = 0;
  const fresh = (): string => join(dir, `case-${++n}`, 'settings.json');
  const fixedNow = (): Date => new Date('2026-01-02T03:04:05.678Z');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mkvcast-settings-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a first run gets the defaults with a fresh private token and no warnings', async () => {
    const { settings, warnings } = await new SettingsFile(fresh()).load();
    assert.deepEqual(warnings, []);
    assert.equal(settings.port, DEFAULT_SETTINGS.port);
    assert.match(settings.token ?? '', /^[A-Za-z0-9_-]{22}$/);
  });

  it('saved settings load back the same, and no temporary file is left', async () => {
    const path = fresh();
    const file = new SettingsFile(path);
    const saved = { ...DEFAULT_SETTINGS, fps: 24, port: 9090, token: 'abcdefgh12345678' };
    await Promise.all([file.save({ ...saved, fps: 5 }), file.save(saved)]);
    assert.deepEqual((await file.load()).settings, saved, 'the later save wins');
    assert.deepEqual(await readdir(join(path, '..')), ['settings.json']);
  });

  it('a bad field falls back alone, with a warning naming it, and a copy of the file is kept', async () => {
    const path = fresh();
    const file = new SettingsFile(path, fixedNow);
    await file.save({ ...DEFAULT_SETTINGS, fps: 24, token: null });
    const raw = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...raw, port: 80, quality: 'ultra' }));
    const { settings, warnings } = await file.load();
    assert.equal(settings.fps, 24, 'good fields are kept');
    assert.equal(settings.token, null, 'a token of none is kept');
    assert.equal(settings.port, DEFAULT_SETTINGS.port);
    assert.equal(settings.quality, DEFAULT_SETTINGS.quality);
    assert.equal(warnings.length, 3);
    assert.match(warnings[0], /^Setting "quality"|^Setting "port"/);
    assert.ok(warnings.some((w) => w.includes('"port"') && w.includes('Using 8080 instead.')));
    assert.match(warnings[2], /settings\.json\.broken-2026-01-02T03-04-05-678Z/);
    assert.ok((await readdir(join(path, '..'))).includes('settings.json.broken-2026-01-02T03-04-05-678Z'));
  });

  it('a file that is not JSON loads the defaults, with a warning, and is kept as a copy', async () => {
    const path = fresh();
    const file = new SettingsFile(path, fixedNow);
    await file.save(DEFAULT_SETTINGS);
    await writeFile(path, '{"port": 90');
    const { settings, warnings } = await file.load();
    assert.equal(settings.port, DEFAULT_SETTINGS.port);
    assert.match(settings.token ?? '', /^[A-Za-z0-9_-]{22}$/);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /not a settings object; a copy of the old file is kept as settings\.json\.broken-/,
    );
    const copy = await readFile(`${path}.broken-2026-01-02T03-04-05-678Z`, 'utf8');
    assert.equal(copy, '{"port": 90');
  });

  it('saves with its format version', async () => {
    const path = fresh();
    await new SettingsFile(path).save(DEFAULT_SETTINGS);
    assert.equal(JSON.parse(await readFile(path, 'utf8')).version, SETTINGS_FILE_VERSION);
  });

  it('a file from an older version: its settings are read, new ones take their defaults, old ones are named', async () => {
    const path = fresh();
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, JSON.stringify({ fps: 20, port: 9000 }));
    assert.deepEqual(
      await new SettingsFile(path).load().then((l) => [l.settings.fps, l.settings.port, l.warnings]),
      [20, 9000, []],
    );
    await writeFile(path, JSON.stringify({ fps: 20, showCursor: true }));
    const { settings, warnings } = await new SettingsFile(path, fixedNow).load();
    assert.equal(settings.fps, 20);
    assert.match(warnings[0], /^Setting "showCursor" is not one this mkvcast knows; it is ignored\.$/);
    assert.match(warnings[1], /a copy of the old file is kept as settings\.json\.broken-/);
  });

  it('a file from a newer version: what this one knows is used, and the file is kept as a copy', async () => {
    const path = fresh();
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(
      path,
      JSON.stringify({ version: SETTINGS_FILE_VERSION + 1, fps: 12, cameraOverlay: 'left' }),
    );
    const { settings, warnings } = await new SettingsFile(path, fixedNow).load();
    assert.equal(settings.fps, 12);
    assert.match(warnings[0], /written by a newer mkvcast/);
    assert.ok((await readdir(join(path, '..'))).includes('settings.json.broken-2026-01-02T03-04-05-678Z'));
  });

  it("every file that holds the token is 0600, whatever the umask and the old files' modes", async () => {
    const umask = process.umask(0o000); // so that a mode of 0600 comes from the code, not from the umask
    try {
      const path = fresh();
      const folder = join(path, '..');
      const modes = async (): Promise<Record<string, string>> => {
        const names = (await readdir(folder)).sort();
        const result: Record<string, string> = {};
        for (const name of names) result[name] = ((await stat(join(folder, name))).mode & 0o777).toString(8);
        return result;
      };
      const secret = { ...DEFAULT_SETTINGS, token: 'secret-token-0123456789' };
      await mkdir(folder, { recursive: true });
      // A temporary file left by a crashed save, world-readable: the next save must not keep its mode.
      await writeFile(`${path}.${process.pid}.tmp`, 'left over', { mode: 0o666 });
      await new SettingsFile(path).save(secret);
      assert.deepEqual(await modes(), { 'settings.json': '600' });

      // An older settings file, world-readable, that needs repair: its copy is private anyway.
      await writeFile(path, JSON.stringify({ ...secret, port: 80 }));
      await chmod(path, 0o644);
      let file = new SettingsFile(path, () => new Date('2026-01-02T00:00:00.000Z'));
      assert.equal((await file.load()).settings.token, secret.token);
      // A newer mkvcast's file is kept as a copy too.
      await writeFile(path, JSON.stringify({ ...secret, version: SETTINGS_FILE_VERSION + 1 }));
      await chmod(path, 0o666);
      file = new SettingsFile(path, () => new Date('2026-01-03T00:00:00.000Z'));
      await file.load();
      // A file that is not JSON at all, over a copy left with the same name.
      await writeFile(path, `{"token": "${secret.token}"`);
      await writeFile(`${path}.broken-2026-01-03T00-00-00-000Z`, 'old copy', { mode: 0o666 });
      await chmod(`${path}.broken-2026-01-03T00-00-00-000Z`, 0o666);
      await file.load();
      await file.save(secret);

      const expected = PRIVATE_FILE_MODE.toString(8);
      assert.deepEqual(await modes(), {
        'settings.json': expected,
        'settings.json.broken-2026-01-02T00-00-00-000Z': expected,
        'settings.json.broken-2026-01-03T00-00-00-000Z': expected,
      });
      for (const name of Object.keys(await modes())) {
        assert.match(
          await readFile(join(folder, name), 'utf8'),
          /secret-token-0123456789/,
          `${name} holds the token`,
        );
      }
    } finally {
      process.umask(umask);
    }
  });

  it('an unreadable file loads the defaults with a warning saying why', async () => {
    const path = fresh();
    await mkdir(path, { recursive: true }); // a folder where the file should be: reading it fails (EISDIR)
    const { settings, warnings } = await new SettingsFile(path).load();
    assert.equal(settings.port, DEFAULT_SETTINGS.port);
    assert.match(warnings[0], /^Could not read .*settings\.json \(EISDIR.*Using the default settings\.$/);
  });

  it('a full disk: the save fails saying so, the old file is kept whole, and no temporary file is left', async (t) => {
    const mount = join(dir, 'small-disk');
    await mkdir(mount);
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=8k', 'tmpfs', mount]);
    } catch (error) {
      t.skip(`a small tmpfs cannot be mounted here (needs root): ${(error as Error).message}`);
      return;
    }
    try {
      const path = join(mount, 'settings.json');
      const file = new SettingsFile(path);
      await file.save({ ...DEFAULT_SETTINGS, fps: 24 });
      const before = await readFile(path, 'utf8');
      // Fill what is left of the 8 KiB.
      await writeFile(join(mount, 'filler'), Buffer.alloc(64 * 1024)).catch(
        (error: NodeJS.ErrnoException) => {
          assert.equal(error.code, 'ENOSPC');
        },
      );
      await assert.rejects(file.save({ ...DEFAULT_SETTINGS, fps: 5 }), (error: Error) => {
        assert.ok(error instanceof SettingsSaveError);
        assert.match(error.message, /the disk is full\. The previous settings file is kept/);
        return true;
      });
      assert.equal(await readFile(path, 'utf8'), before, 'the old file is intact');
      assert.deepEqual((await readdir(mount)).sort(), ['filler', 'settings.json']);
      await rm(join(mount, 'filler'));
      await file.save({ ...DEFAULT_SETTINGS, fps: 5 });
      assert.equal((await file.load()).settings.fps, 5, 'saving works again once there is space');
    } finally {
      await run('umount', [mount]);
    }
  });
});
