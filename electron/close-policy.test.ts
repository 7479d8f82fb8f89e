import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionState } from '../server/api.js';
import { closeAction, closeChoice, CLOSE_QUESTION } from './close-policy.js';

const STATES: SessionState[] = [
  { kind: 'idle' },
  { kind: 'starting' },
  { kind: 'live', since: '2026-01-01T00:00:00Z' },
  { kind: 'restarting', reason: 'encoder exited', attempt: 1 },
  { kind: 'stopping' },
  { kind: 'error', error: { code: 'X', message: 'm', fix: 'f' } },
];

describe('closing the window', () => {
  it('with a tray the person can see, hides the window whatever the state (the tray brings it back)', () => {
    for (const state of STATES) assert.equal(closeAction(state, true), 'hide', state.kind);
  });

  it('without a visible tray, never hides: asks while sharing, quits otherwise', () => {
    assert.deepEqual(
      STATES.map((state) => closeAction(state, false)),
      ['quit', 'ask', 'ask', 'ask', 'quit', 'quit'],
    );
  });

  it('the question offers stop-and-quit, keep sharing in a small window, and cancel (Esc)', () => {
    assert.equal(CLOSE_QUESTION.buttons.length, 3);
    assert.equal(closeChoice(0), 'stop-and-quit');
    assert.equal(closeChoice(1), 'keep-small');
    assert.equal(closeChoice(CLOSE_QUESTION.cancelId), 'cancel');
    assert.equal(closeChoice(-1), 'cancel');
    assert.match(CLOSE_QUESTION.buttons[0] ?? '', /Stop sharing and quit/);
    assert.match(CLOSE_QUESTION.buttons[1] ?? '', /Keep sharing in a small window/);
  });
});
