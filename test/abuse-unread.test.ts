/**
 * Viewers that connect and never read (the attack of the issue "Viewers that never read", reduced:
 * bench/unread.ts runs 300 sockets against a cap of 64). One machine opens 100 such sockets against a
 * cap of 16 viewers, asks again at once when refused and reopens 4 of its held sockets every 2 s.
 * The per-address cap keeps it to 8 places, so a real viewer (ffmpeg) gets in at once; each held socket
 * is dropped once it has taken nothing for a few seconds, with a reset, so the kernel frees the
 * megabytes queued for it as soon as it is dropped rather than minutes later.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { abuseSource } from '../support/abuse.js';
import { kernelTcpMemoryBytes, UnreadAttack } from '../support/abuse-unread.js';
import { killAll, waitFor } from '../support/processes.js';
import { startServe } from '../support/serve.js';
import { decode, explain } from '../support/viewers.js';

after(killAll);

const ATTACKER = '127.0.0.2';
const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

describe('viewers that connect and never read', { timeout: 90_000 }, () => {
  it('keep no real viewer out, and their kernel memory is freed within 10 s of their drop', async (t) => {
    const server = await startServe([await abuseSource(), '--loop', '--max-viewers', '16']);
    const attack = new UnreadAttack({
      port: server.port,
      path: '/live.mkv',
      localAddress: ATTACKER,
      sockets: 100,
      retryMs: 100,
      reopenEveryMs: 2000,
      reopenCount: 4,
    });
    try {
      await server.waitLive();
      const baselineBytes = await kernelTcpMemoryBytes();
      let peakBytes = baselineBytes;
      const sampler = setInterval(
        () => void kernelTcpMemoryBytes().then((b) => (peakBytes = Math.max(peakBytes, b))),
        100,
      );
      try {
        attack.start();
        await waitFor('the attacker to hold its places', () => attack.snapshot().holding >= 8, {
          timeoutMs: 10_000,
        });
        const attackEndMs = Date.now() + 8000;
        const admissions: number[] = [];
        while (Date.now() < attackEndMs) {
          const startedMs = performance.now();
          const viewer = await decode(server.url, { videoFrames: 1 });
          assert.equal(viewer.code, 0, explain(viewer));
          admissions.push(performance.now() - startedMs);
        }
        const during = attack.snapshot();
        t.diagnostic(
          `attacker answers ${JSON.stringify(during.statuses)}, holding ${during.holding}; real viewer's first frame after ` +
            admissions.map((ms) => Math.round(ms)).join(', ') +
            ' ms',
        );
        assert.ok(
          admissions.every((ms) => ms < 5000),
          `every real viewer got in and decoded a frame within 5 s`,
        );
        assert.ok((during.statuses['503'] ?? 0) > 0, 'the attacker was refused places beyond its 8');
        const status = await server.status();
        assert.ok(
          status.viewers.filter((v) => v.address === ATTACKER).length <= 8,
          'at most 8 viewers from the attacking address',
        );

        // The attacker stops asking but keeps its sockets open, unread: the server drops them.
        attack.stopReconnecting();
        await waitFor(
          "the server to drop the attacker's unread sockets",
          async () => (await server.status()).viewers.every((v) => v.address !== ATTACKER),
          // Loopback's 64 KiB segments let the kernel take ~4 MB (15 s of this stream) before a
          // write blocks; then maxUnreadMs (5 s).
          { timeoutMs: 30_000, intervalMs: 100 },
        );
        const droppedAtMs = performance.now();
        const droppedBytes = await kernelTcpMemoryBytes();
        // What the attacker's own (unread) receive buffers still hold is on this machine too: allow for it.
        const toleranceBytes = 4e6;
        let afterBytes = droppedBytes;
        await waitFor(
          "the kernel's TCP memory to come back near its baseline",
          async () => (afterBytes = await kernelTcpMemoryBytes()) <= baselineBytes + toleranceBytes,
          { timeoutMs: 10_000, intervalMs: 100 },
        ).catch(() => {});
        const backMs = performance.now() - droppedAtMs;
        t.diagnostic(
          `kernel TCP memory: baseline ${mb(baselineBytes)} MB, peak ${mb(peakBytes)} MB, at the drop ` +
            `${mb(droppedBytes)} MB, ${mb(afterBytes)} MB ${Math.round(backMs)} ms later`,
        );
        assert.ok(
          afterBytes <= baselineBytes + toleranceBytes,
          `TCP memory ${mb(afterBytes)} MB 10 s after the drop (baseline ${mb(baselineBytes)} MB)`,
        );
        assert.ok(peakBytes > baselineBytes + 2 * toleranceBytes, 'the attack did hold kernel memory');
      } finally {
        clearInterval(sampler);
      }
    } finally {
      attack.stop();
      await server.stop();
    }
  });
});
