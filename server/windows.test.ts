import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWindowSize, parseWindowTree, parseXpropName, pickWindow, type WindowInfo } from './windows.js';

// `xwininfo -root -tree` under a reparenting window manager: frames without a class hold the clients.
const TREE = `
xwininfo: Window id: 0x50d (the root window) (has no name)

  Root window id: 0x50d (the root window) (has no name)
  Parent window id: 0x0 (none)
     3 children:
     0x400010 (has no name): ()  1000x700+100+50  +100+50
        1 child:
        0x20000c "notes.md - Editor": ("editor" "Editor")  1000x680+0+20  +100+70
     0x20001c (name in unsupported encoding COMPOUND_TEXT): ("xterm" "XTerm")  244x134+50+60  +50+60
        1 child:
        0x200018 (has no name): ()  244x134+0+0  +51+61
     0x600001 "tooltip": ("tip" "Tip")  8x8+0+0  +0+0
`;

const win = (id: string, name: string): WindowInfo => ({
  id,
  name,
  className: 'X',
  width: 100,
  height: 100,
  x: 0,
  y: 0,
});

describe('windows', () => {
  it('application windows are those with a class, at their place on the desktop; tiny ones are left out', () => {
    assert.deepEqual(parseWindowTree(TREE), [
      {
        id: '0x20000c',
        name: 'notes.md - Editor',
        className: 'Editor',
        width: 1000,
        height: 680,
        x: 100,
        y: 70,
      },
      { id: '0x20001c', name: null, className: 'XTerm', width: 244, height: 134, x: 50, y: 60 },
    ]);
  });

  it('a title xwininfo cannot print is read from xprop as UTF-8', () => {
    assert.equal(
      parseXpropName('_NET_WM_NAME(UTF8_STRING) = "Notes — \\"draft\\""\nWM_NAME(COMPOUND_TEXT) = "x"'),
      'Notes — "draft"',
    );
    assert.equal(parseXpropName('WM_NAME(STRING) = "xterm"'), 'xterm');
  });

  it('picked by id (hex or decimal), exact title, or a unique part of one; else an error listing them', () => {
    const list = [
      win('0x20000c', 'notes.md - Editor'),
      win('0x20001c', 'notes'),
      win('0x30001c', 'Terminal'),
    ];
    assert.equal(pickWindow(list, '0x30001c').name, 'Terminal');
    assert.equal(pickWindow(list, String(0x30001c)).name, 'Terminal');
    assert.equal(pickWindow(list, 'notes').id, '0x20001c');
    assert.equal(pickWindow(list, 'term').id, '0x30001c');
    assert.throws(() => pickWindow(list, 'note'), { code: 'WINDOW_AMBIGUOUS' });
    assert.throws(() => pickWindow(list, 'browser'), {
      code: 'WINDOW_NOT_FOUND',
      message: /there are 0x20000c "notes.md - Editor"/,
    });
  });
});

describe('parseWindowSize', () => {
  it("reads xwininfo -id's Width and Height", () => {
    const text =
      'xwininfo: Window id: 0x1a00002 "Notes"\n\n  Absolute upper-left X:  20\n  Width: 484\n  Height: 316\n  Depth: 24\n';
    assert.deepEqual(parseWindowSize(text), { width: 484, height: 316 });
    assert.equal(parseWindowSize('X Error of failed request: BadWindow'), null);
  });
});
