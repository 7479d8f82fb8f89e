import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePortRange, portRangeProblem, portRangeSize } from './ports.js';

test('--webrtc-ports takes low-high from 1024 to 65535, or nothing for any port', () => {
  assert.deepEqual(parsePortRange('40000-40100'), [40000, 40100]);
  assert.equal(parsePortRange(''), null);
  for (const bad of ['80-90', '40100-40000', '40000', '40000-70000', 'a-b']) {
    assert.match(portRangeProblem(bad) ?? '', /WebRTC ports must be two ports/, bad);
    assert.throws(() => parsePortRange(bad), { code: 'BAD_PORT_RANGE' });
  }
});

test('a bad range says what to change: the bounds, or the order', () => {
  assert.match(portRangeProblem('80-90') ?? '', /from 1024 to 65535 \(lower ones need root\); got "80-90"/);
  assert.match(portRangeProblem('40000-70000') ?? '', /from 1024 to 65535/);
  assert.match(portRangeProblem('40100-40000') ?? '', /low first: write 40000-40100, not 40100-40000/);
  assert.match(portRangeProblem('40000') ?? '', /low-high, e\.g\. 40000-40100; got "40000"/);
  assert.equal(portRangeSize('40000-40063'), 64);
  assert.equal(portRangeSize('40000-40000'), 1);
  assert.equal(portRangeSize(''), null);
  assert.equal(portRangeSize('40100-40000'), null);
});
