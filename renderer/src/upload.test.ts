import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uploadView } from './upload.js';

describe('the upload line', () => {
  it('shows the total and the copies, without a warning when there is no budget', () => {
    const view = uploadView({ copies: 1, mbitPerSec: 2.46, maxMbitPerSec: null });
    assert.equal(view.summary, '2.5 Mbit/s out for 1 copy');
    assert.equal(view.warning, null);
  });

  it('does not warn below 80% of the budget', () => {
    const view = uploadView({ copies: 3, mbitPerSec: 7.9, maxMbitPerSec: 10 });
    assert.equal(view.summary, '7.9 Mbit/s out for 3 copies (budget 10 Mbit/s)');
    assert.equal(view.warning, null);
  });

  it('warns at 80% and above, and suggests a relay', () => {
    const at = uploadView({ copies: 4, mbitPerSec: 8, maxMbitPerSec: 10 });
    assert.match(at.warning ?? '', /^Upload at 80% of the 10 Mbit\/s budget/);
    assert.match(at.warning ?? '', /relay \(an Icecast server\)/);
    const over = uploadView({ copies: 6, mbitPerSec: 12, maxMbitPerSec: 10 });
    assert.match(over.warning ?? '', /^Upload at 120% /);
  });
});
