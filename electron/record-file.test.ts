import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordFileFromDialog } from './controller.js';

describe("the recording's file from main's save dialog", () => {
  it('keeps an absolute path and adds .mkv when there is no extension', () => {
    assert.equal(recordFileFromDialog('/home/a/talk.mkv'), '/home/a/talk.mkv');
    assert.equal(recordFileFromDialog('/home/a/talk'), '/home/a/talk.mkv');
    assert.equal(recordFileFromDialog('/home/a/talk.webm'), '/home/a/talk.webm');
  });

  it('refuses a relative path or one with a NUL byte', () => {
    assert.throws(() => recordFileFromDialog('talk.mkv'), /not an absolute path/);
    assert.throws(() => recordFileFromDialog('/home/a/t\0alk.mkv'), /not an absolute path/);
  });
});
