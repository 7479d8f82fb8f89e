import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePortRange, portRangeProblem } from './ports.js';

test('--webrtc-ports takes low-high from 1024 to 65535, or nothing for any port', () => {
  assert.deepEqual(parsePortRange('40000-40100'), [40000, 40100]);
  assert.equal(parsePortRange(''), null);
  for (const bad of ['80-90', '40100-40000', '40000', '40000-70000', 'a-b']) {
    assert.match(portRangeProblem(bad) ?? '', /WebRTC ports must be two ports/, bad);
    assert.throws(() => parsePortRange(bad), { code: 'BAD_PORT_RANGE' });
  }
});
