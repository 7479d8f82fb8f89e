import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CURSOR_MODE,
  firstStream,
  PERSIST_UNTIL_REVOKED,
  requestPath,
  selectSourcesOptions,
  SOURCE_TYPE,
} from './portal.js';

describe('ScreenCast portal helpers', () => {
  it('names request paths from the unique bus name as the portal does', () => {
    assert.equal(
      requestPath(':1.42', 'mkvcast_ab'),
      '/org/freedesktop/portal/desktop/request/1_42/mkvcast_ab',
    );
  });

  it('asks for one monitor, the cursor drawn in, a lasting permission, and passes the restore token', () => {
    const options = selectSourcesOptions({ sources: 'monitor', restoreToken: 'tok' }, 7);
    assert.deepEqual(options.types, { signature: 'u', value: SOURCE_TYPE.monitor });
    assert.deepEqual(options.multiple, { signature: 'b', value: false });
    assert.deepEqual(options.cursor_mode, { signature: 'u', value: CURSOR_MODE.embedded });
    assert.deepEqual(options.persist_mode, { signature: 'u', value: PERSIST_UNTIL_REVOKED });
    assert.deepEqual(options.restore_token, { signature: 's', value: 'tok' });
  });

  it('leaves out what the portal cannot do and a token there is not', () => {
    const options = selectSourcesOptions({ sources: 'any' }, CURSOR_MODE.hidden);
    assert.equal(options.types.value, SOURCE_TYPE.monitor | SOURCE_TYPE.window);
    assert.equal(options.cursor_mode, undefined);
    assert.equal(options.restore_token, undefined);
  });

  it("reads the node id and size of Start's first stream", () => {
    const streams = [[57, { size: { value: [1280, 720] }, source_type: { value: 1 } }]];
    assert.deepEqual(firstStream(streams), { nodeId: 57, width: 1280, height: 720, sourceType: 1 });
    assert.deepEqual(firstStream([[9, {}]]), { nodeId: 9, width: null, height: null, sourceType: null });
    assert.equal(firstStream([]), null);
    assert.equal(firstStream(undefined), null);
  });
});
