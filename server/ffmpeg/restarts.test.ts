import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestartPolicy } from './restarts.js';

const options = { backoffMs: [250, 500, 1000, 2000, 4000], maxFailures: 5 };

describe('RestartPolicy', () => {
  it('restarts a run that had served a picture after the first backoff, however many times in a row', () => {
    const policy = new RestartPolicy(options);
    for (let i = 0; i < 100; i++)
      assert.deepEqual(policy.onFailure(true), { giveUp: false, attempt: 1, delayMs: 250 });
  });

  it('backs off runs that fail before any picture, and gives up after maxFailures in a row', () => {
    const policy = new RestartPolicy(options);
    const decisions = [true, false, false, false, false].map((served) => policy.onFailure(served));
    assert.deepEqual(decisions, [
      { giveUp: false, attempt: 1, delayMs: 250 },
      { giveUp: false, attempt: 2, delayMs: 500 },
      { giveUp: false, attempt: 3, delayMs: 1000 },
      { giveUp: false, attempt: 4, delayMs: 2000 },
      { giveUp: true },
    ]);
  });

  it('a picture in between starts the count again', () => {
    const policy = new RestartPolicy(options);
    for (const served of [true, false, false, false]) policy.onFailure(served);
    assert.deepEqual(policy.onFailure(true), { giveUp: false, attempt: 1, delayMs: 250 });
    assert.deepEqual(policy.onFailure(false), { giveUp: false, attempt: 2, delayMs: 500 });
  });

  it('repeats the last backoff when there are more attempts than waits', () => {
    const policy = new RestartPolicy({ backoffMs: [100], maxFailures: 4 });
    assert.deepEqual(
      [true, false, false].map((served) => policy.onFailure(served)),
      [
        { giveUp: false, attempt: 1, delayMs: 100 },
        { giveUp: false, attempt: 2, delayMs: 100 },
        { giveUp: false, attempt: 3, delayMs: 100 },
      ],
    );
  });
});
