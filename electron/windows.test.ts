import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sourceWindowId, windowChoices, windowChoicesByTitle, withWindowThumbnails } from './windows.js';

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

describe('the windows the picker offers on Windows (by title, as gdigrab captures them)', () => {
  // As Electron's desktopCapturer gives them on Windows: HWNDs in the id, the title in the name.
  const sources = [
    { id: 'window:132456:0', name: 'Quarterly report - Word', dataUrl: 'data:image/png;base64,AAAA' },
    { id: 'window:198012:0', name: 'Notes - Notepad', dataUrl: '' },
    { id: 'window:265540:0', name: 'Notes - Notepad', dataUrl: 'data:image/png;base64,BBBB' },
    { id: 'window:331076:0', name: 'Notes - Notepad', dataUrl: 'data:image/png;base64,CCCC' },
    { id: 'window:400000:0', name: '', dataUrl: 'data:image/png;base64,DDDD' },
    { id: 'window:400002:0', name: 'x'.repeat(300), dataUrl: '' },
    { id: 'screen:0:0', name: 'Entire screen', dataUrl: 'data:image/png;base64,EEEE' },
  ];

  it('one choice per title, whose id is the title gdigrab takes; a shared title says how many windows have it', () => {
    assert.deepEqual(windowChoicesByTitle(sources), [
      {
        id: 'Quarterly report - Word',
        name: 'Quarterly report - Word',
        className: '',
        width: 0,
        height: 0,
        thumbnail: 'data:image/png;base64,AAAA',
      },
      {
        id: 'Notes - Notepad',
        name: 'Notes - Notepad',
        className: '',
        width: 0,
        height: 0,
        // The first window with a picture: the first source gave an empty one.
        thumbnail: 'data:image/png;base64,BBBB',
        sameTitleCount: 3,
      },
    ]);
  });

  it('leaves out screens, untitled windows and titles no setting can hold', () => {
    const ids = windowChoicesByTitle(sources).map((w) => w.id);
    assert.ok(!ids.includes(''));
    assert.ok(!ids.includes('Entire screen'));
    assert.ok(ids.every((id) => id.length <= 256));
    assert.deepEqual(windowChoicesByTitle([]), []);
  });
});
