import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, errorText, unwrap, userErrorOf } from './answers.js';

describe("the window's side of IPC answers", () => {
  it('unwraps a value, and throws an error answer as an AppError that keeps code, fix and field', () => {
    assert.equal(unwrap({ ok: true, value: 7 }), 7);
    const error = {
      code: 'PORT_IN_USE',
      message: 'Port 80 is in use.',
      fix: 'Pick another.',
      field: 'port' as const,
    };
    assert.throws(
      () => unwrap({ ok: false, error }),
      (thrown: unknown) =>
        thrown instanceof AppError && thrown.message === error.message && thrown.fix === error.fix,
    );
    try {
      unwrap({ ok: false, error });
    } catch (thrown) {
      assert.deepEqual(userErrorOf(thrown), error);
      assert.equal(errorText(thrown), 'Port 80 is in use. Pick another.');
    }
  });

  it('anything else (a flattened Electron error) still shows what happened, with a generic fix', () => {
    const flat = new Error("Error invoking remote method 'mkvcast:stop': Error: boom");
    assert.equal(userErrorOf(flat).message, flat.message);
    assert.match(userErrorOf(flat).fix, /Try again/);
    assert.equal(errorText('text'), 'text');
  });
});
