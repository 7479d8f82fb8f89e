import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sourceWindowId, windowChoices, withWindowThumbnails } from './windows.js';

const xterm = { id: '0x1a00002', name: 'Notes', className: 'XTerm', width: 484, height: 316, x: 20, y: 20 };

describe('the windows the picker offers', () => {
  it("maps desktopCapturer's decimal window:<xid>:0 to xwininfo's hex id", () => {
    assert.equal(sourceWindowId('window:27262978:0'), '0x1a00002');
    assert.equal(sourceWindowId('screen:0:0'), null);
    assert.equal(sourceWindowId('window:abc:0'), null);
  });

  it('gives each window the thumbnail of its own source, and none where the source is missing or empty', () => {
    const other = { ...xterm, id: '0x2000001', name: 'Other' };
    const choices = withWindowThumbnails(windowChoices([xterm, other]), [
      { id: 'window:27262978:0', dataUrl: 'data:image/png;base64,AAAA' },
      { id: 'window:33554433:0', dataUrl: '' },
      { id: 'screen:0:0', dataUrl: 'data:image/png;base64,BBBB' },
    ]);
    assert.deepEqual(choices, [
      {
        id: '0x1a00002',
        name: 'Notes',
        className: 'XTerm',
        width: 484,
        height: 316,
        thumbnail: 'data:image/png;base64,AAAA',
      },
      { id: '0x2000001', name: 'Other', className: 'XTerm', width: 484, height: 316 },
    ]);
  });
});
