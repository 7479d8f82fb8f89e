import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RestoreTokenFile } from './restore-token.js';

describe('RestoreTokenFile', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mkvcast-token-'));
  after(() => rm(dir, { recursive: true, force: true }));

  it('lives under XDG_STATE_HOME', () => {
    assert.equal(RestoreTokenFile.forEnv({ XDG_STATE_HOME: '/s' }).path, '/s/mkvcast/portal-restore-token');
    assert.equal(
      RestoreTokenFile.forEnv({ HOME: '/h' }).path,
      '/h/.local/state/mkvcast/portal-restore-token',
    );
  });

  it('saves, loads and forgets a token, readable by this user only', async () => {
    const file = RestoreTokenFile.forEnv({ XDG_STATE_HOME: dir });
    assert.equal(await file.load(), null);
    await file.save('0b7b036a-0d26-472a-8c8b-afeef48f9cf1');
    assert.equal(await file.load(), '0b7b036a-0d26-472a-8c8b-afeef48f9cf1');
    assert.equal((await stat(file.path)).mode & 0o777, 0o600);
    await file.save(null);
    assert.equal(await file.load(), null);
  });

  it('ignores a file that holds no plausible token', async () => {
    const file = new RestoreTokenFile(join(dir, 'odd'));
    await file.save('ok');
    await import('node:fs/promises').then((fs) => fs.writeFile(file.path, 'two words\n'));
    assert.equal(await file.load(), null);
    assert.equal(await readFile(file.path, 'utf8'), 'two words\n');
  });
});
