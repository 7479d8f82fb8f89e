import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { ipcError } from './ipc.js';
import { PushList, PushListFile, PushSaveError, type StoredPush } from './push-list.js';

const run = promisify(execFile);

const ICECAST = 'icecast://source:hunter2-secret@127.0.0.1:8000/live.mkv';
const RTMP = 'rtmp://live.example.com/app/sk_live_KEY123';

describe('PushListFile', () => {
  let dir: string;
  let n = 0;
  const fresh = (): string => join(dir, `case-${++n}`, 'pushes.json');
  const fixedNow = (): Date => new Date('2026-01-02T03:04:05.678Z');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mkvcast-pushes-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('no file: no pushes, no warning', async () => {
    assert.deepEqual(await new PushListFile(fresh()).load(), { pushes: [], warnings: [] });
  });

  it('saves readable by its owner only (0600) whatever the umask, loads back, leaves no temporary file', async () => {
    const path = fresh();
    const file = new PushListFile(path);
    const old = process.umask(0);
    try {
      await Promise.all([file.save([{ id: 'a', url: RTMP }]), file.save([{ id: 'b', url: ICECAST }])]);
    } finally {
      process.umask(old);
    }
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual((await file.load()).pushes, [{ id: 'b', url: ICECAST }], 'the later save wins');
    assert.deepEqual(await readdir(join(path, '..')), ['pushes.json']);
  });

  it('an older file with a wider mode is made private by the next save', async () => {
    const path = fresh();
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, '{"version":1,"pushes":[]}', { mode: 0o644 });
    await new PushListFile(path).save([{ id: 'a', url: ICECAST }]);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it('a save that fails throws and leaves no temporary file', async () => {
    const path = fresh();
    // A folder where the file should be: the rename over it fails after the temporary file is written.
    await mkdir(join(path, 'in-the-way'), { recursive: true });
    await assert.rejects(new PushListFile(path).save([{ id: 'a', url: ICECAST }]));
    assert.deepEqual(await readdir(join(path, '..')), ['pushes.json']);
  });

  it('a corrupt file: no pushes, a private copy kept, and the warning names no URL', async () => {
    const path = fresh();
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, `{"pushes":[{"id":"a","url":"${ICECAST}"`, { mode: 0o600 });
    const { pushes, warnings } = await new PushListFile(path, fixedNow).load();
    assert.deepEqual(pushes, []);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /not a list of pushes; a copy of the old file is kept as pushes\.json\.broken-2026/,
    );
    assert.ok(!warnings[0].includes('hunter2'));
    const copy = `${path}.broken-2026-01-02T03-04-05-678Z`;
    assert.equal((await stat(copy)).mode & 0o777, 0o600);
  });

  it('entries that are not pushes are left out, the good ones kept', async () => {
    const path = fresh();
    await mkdir(join(path, '..'), { recursive: true });
    const items = [{ id: 'a', url: ICECAST }, { id: 'b', url: 'ftp://x/y' }, { id: 3 }, null];
    await writeFile(path, JSON.stringify({ version: 1, pushes: items }));
    const { pushes, warnings } = await new PushListFile(path, fixedNow).load();
    assert.deepEqual(pushes, [{ id: 'a', url: ICECAST }]);
    assert.match(warnings[0], /3 push\(es\) could not be read/);
  });
});

describe('PushList', () => {
  function list(initial: StoredPush[] = []): {
    pushes: PushList;
    saved: StoredPush[][];
    applied: string[][];
  } {
    const saved: StoredPush[][] = [];
    const applied: string[][] = [];
    let id = 0;
    const pushes = new PushList(initial, {
      file: { save: async (p) => void saved.push([...p]) },
      apply: async (urls) => void applied.push(urls),
      newId: () => `p${++id}`,
    });
    return { pushes, saved, applied };
  }

  it('adds a checked URL: applied and saved in full, answered redacted', async () => {
    const { pushes, saved, applied } = list();
    const answer = await pushes.add(`  ${ICECAST} `);
    assert.deepEqual(answer, {
      ok: true,
      pushes: [{ id: 'p1', shown: 'icecast://127.0.0.1:8000/live.mkv' }],
    });
    assert.deepEqual(applied, [[ICECAST]]);
    assert.deepEqual(saved, [[{ id: 'p1', url: ICECAST }]]);
    const rtmp = await pushes.add(RTMP);
    assert.ok(rtmp.ok);
    assert.equal(rtmp.pushes[1].shown, 'rtmp://live.example.com/app/…');
    assert.ok(!JSON.stringify(rtmp).includes('KEY123') && !JSON.stringify(rtmp).includes('hunter2'));
  });

  it('refuses a bad URL with its code and fix, changing nothing, and without echoing a password', async () => {
    const { pushes, saved, applied } = list();
    for (const url of ['not a url', 'icecast://source:pw-secret@host:8000/', 'ftp://u:pw-secret@h/x']) {
      const answer = await pushes.add(url);
      assert.ok(!answer.ok, url);
      assert.equal(answer.error.code, 'PUSH_URL_INVALID');
      assert.match(answer.error.fix, /icecast:\/\/source:PASSWORD@HOST:PORT\/MOUNT/);
      assert.ok(!answer.error.message.includes('pw-secret'), answer.error.message);
    }
    assert.deepEqual([saved, applied], [[], []]);
  });

  it('refuses the same target twice (even with another password), and removes by id', async () => {
    const { pushes, applied } = list([{ id: 'x', url: ICECAST }]);
    const again = await pushes.add(ICECAST.replace('hunter2-secret', 'another-password'));
    assert.ok(!again.ok);
    assert.equal(again.error.code, 'PUSH_DUPLICATE');
    assert.deepEqual(await pushes.remove('x'), []);
    assert.deepEqual(applied, [[]]);
    assert.deepEqual(await pushes.remove('nothing-here'), []);
  });
});

describe('PushList saved to a folder it cannot write to', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mkvcast-pushes-fail-'));
  });
  after(async () => {
    await chmod(dir, 0o700).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * A PushList on the real file at `path` (which holds the ICECAST push), with a folder that no longer
   * takes writes: adding and removing fail with a typed error, the window gets its code and fix, and
   * the list, the file, the session and the folder are as they were.
   */
  async function failsCleanly(path: string, reason: RegExp, fix: RegExp): Promise<void> {
    const before = await readFile(path, 'utf8');
    const entries = await readdir(join(path, '..'));
    const applied: string[][] = [];
    const pushes = new PushList([{ id: 'x', url: ICECAST }], {
      file: new PushListFile(path),
      apply: async (urls) => void applied.push(urls),
    });
    const added = await pushes.add(RTMP);
    assert.ok(!added.ok, 'the add is refused');
    assert.equal(added.error.code, 'PUSH_SAVE_FAILED');
    assert.match(added.error.message, new RegExp(`^Could not save the pushes to ${path}: `));
    assert.match(added.error.message, reason);
    assert.match(added.error.fix, fix);
    assert.ok(!JSON.stringify(added).includes('KEY123') && !JSON.stringify(added).includes('hunter2'));

    const removal = pushes.remove('x');
    await assert.rejects(removal, PushSaveError);
    const shown = ipcError(await removal.catch((error: unknown) => error));
    assert.deepEqual(shown, { code: 'PUSH_SAVE_FAILED', message: shown.message, fix: shown.fix });
    assert.match(shown.message, reason);
    assert.match(shown.fix, fix);

    assert.deepEqual(pushes.urls, [ICECAST], 'the list is the one in the file');
    assert.deepEqual(applied, [], 'the session was not changed');
    assert.equal(await readFile(path, 'utf8'), before, 'the file is as it was');
    assert.deepEqual((await new PushListFile(path).load()).pushes, [{ id: 'x', url: ICECAST }]);
    assert.deepEqual(await readdir(join(path, '..')), entries, 'no temporary file is left');
  }

  it('a read-only folder (chmod 0500): PUSH_SAVE_FAILED naming the file and EACCES, nothing changed', async (t: TestContext) => {
    const folder = join(dir, 'read-only');
    const path = join(folder, 'pushes.json');
    await new PushListFile(path).save([{ id: 'x', url: ICECAST }]);
    await chmod(folder, 0o500);
    try {
      // As root, permissions do not stop a write: the full-disk case below covers the failure there.
      const probe = join(folder, 'probe');
      const writable = await writeFile(probe, '').then(
        () => true,
        () => false,
      );
      if (writable) {
        await rm(probe);
        t.skip('chmod 0500 does not stop this user (root) from writing');
        return;
      }
      await failsCleanly(path, /may not write there \(EACCES\)/, /Check that you may write to .*read-only/);
    } finally {
      await chmod(folder, 0o700);
    }
  });

  it('a full disk (a small tmpfs, filled): PUSH_SAVE_FAILED naming ENOSPC, nothing changed', async (t: TestContext) => {
    const mount = join(dir, 'small-disk');
    await mkdir(mount);
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mount]);
    } catch (error) {
      t.skip(`a small tmpfs cannot be mounted here (needs root): ${(error as Error).message}`);
      return;
    }
    try {
      const path = join(mount, 'pushes.json');
      await new PushListFile(path).save([{ id: 'x', url: ICECAST }]);
      // Fill what is left: the write stops at the disk's end with ENOSPC, the filler stays.
      await assert.rejects(writeFile(join(mount, 'filler'), Buffer.alloc(1024 * 1024)), { code: 'ENOSPC' });
      await failsCleanly(path, /the disk is full \(ENOSPC\)/, /Free some space/);
    } finally {
      await run('umount', [mount]);
    }
  });
});
