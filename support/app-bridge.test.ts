import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invokeAsElectron } from './app-bridge.js';

describe('the test bridge marshals as Electron does', () => {
  it('a thrown error reaches the page flattened to its message, its code and fix lost', async () => {
    const handler = (): Promise<never> => {
      const error = Object.assign(new Error('port 80 is in use'), {
        code: 'PORT_IN_USE',
        fix: 'pick another',
      });
      return Promise.reject(error);
    };
    await assert.rejects(invokeAsElectron(handler, 'mkvcast:start', []), (error: Error) => {
      assert.equal(error.message, "Error invoking remote method 'mkvcast:start': Error: port 80 is in use");
      assert.equal((error as Error & { code?: string }).code, undefined);
      return true;
    });
  });

  it('answers and arguments go through structured clone: a function cannot be sent, a Date stays a Date', async () => {
    const echo = (_event: unknown, ...args: unknown[]): Promise<never> =>
      Promise.resolve({ ok: true, value: args } as never);
    const when = new Date(0);
    assert.deepEqual(await invokeAsElectron(echo, 'c', [when, { a: 1 }]), {
      ok: true,
      value: [when, { a: 1 }],
    });
    await assert.rejects(invokeAsElectron(echo, 'c', [() => 1]), /could not be cloned/);
  });
});
