import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_SETTINGS } from '../server/settings.js';
import { SettingsFile } from './settings-file.js';

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
});
