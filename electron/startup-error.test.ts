import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startupFailure } from './startup-error.js';

describe('the startup error dialog', () => {
  it("says what failed and the error's own fix when it has one", () => {
    const error = Object.assign(new Error('Port 8080 is in use.'), { fix: 'Pick another port.' });
    assert.deepEqual(startupFailure(error), {
      title: 'mkvcast could not start',
      content: 'Port 8080 is in use.\n\nPick another port.',
    });
  });

  it('otherwise says how to see the log', () => {
    assert.match(startupFailure(new Error('boom')).content, /^boom\n\n.*terminal/s);
    assert.match(startupFailure('text').content, /^text\n\n/);
  });
});
