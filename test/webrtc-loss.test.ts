/**
 * WebRTC under loss: Chromium in a network namespace whose veth link drops 5% of the UDP it receives
 * (nftables) still plays in real time without a freeze of a keyframe interval (NACKs repair it), and a
 * viewer on the clean loopback beside it does not notice. Needs root (ip netns, nft): skipped otherwise.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchWebRtcLoss } from '../bench/webrtc-loss.js';

const root = process.getuid?.() === 0;

describe('a WebRTC viewer behind a 5% lossy link', { timeout: 90_000, skip: !root && 'needs root' }, () => {
  it('plays on, repaired by NACKs, and the clean viewer beside it keeps its 30 fps', async () => {
    const result = await benchWebRtcLoss(8, 5);
    const detail = JSON.stringify(result);
    assert.ok(result.lossy.nacks > 0, `the link dropped nothing: ${detail}`);
    assert.ok(result.lossy.fps >= 25, `the lossy viewer decoded too few frames: ${detail}`);
    // A 1 s keyframe interval: no freeze as long as one.
    assert.ok(result.lossy.longestFreezeMs < 1000, `a freeze of a GOP or more: ${detail}`);
    assert.ok(result.clean.fps >= 28.5, `the clean viewer noticed: ${detail}`);
  });
});
