/**
 * HTTP abuse while 10 real viewers watch (9 socket viewers and one ffmpeg decoding): Slowloris,
 * oversized, malformed and pipelined requests, odd methods, traversal paths, HTTP/1.0, absurd Ranges, a
 * connect flood, viewer join/leave cycles and a client reading at 1 Mbit/s. For each: the right answer
 * (or a close), the viewers within 15% of the source, and afterwards the server's memory, sockets,
 * timers and listeners back to their baseline. Reduced scale; `node dist/bench/abuse.js` runs the full one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import {
  AbuseRig,
  LEAK_TOLERANCE,
  TEST_SCALE,
  type DuringAbuse,
  type ViewerWindow,
} from '../support/abuse.js';
import { runRequestCases } from '../support/abuse-cases.js';
import { connectFlood, slowloris, slowReader, viewerCycles } from '../support/abuse-clients.js';
import type { ServerProbe } from '../support/abuse-server.js';
import { killAll } from '../support/processes.js';

after(killAll);

const S = TEST_SCALE;
/** The server's header timeout (ServeService's default) and how often Node checks it. */
const HEADER_TIMEOUT_MS = 10_000;
const CHECK_INTERVAL_MS = 1000;
const TOLERANCE = LEAK_TOLERANCE;
const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

function assertViewersKeptUp(rig: AbuseRig, window: ViewerWindow): void {
  assert.equal(window.closed, 0, 'no viewer was dropped');
  for (const [i, ratio] of window.socketRatios.entries()) {
    assert.ok(
      ratio >= 0.85 && ratio <= 1.15,
      `viewer ${i + 1} got ${(ratio * 100).toFixed(1)}% of the source's bytes over ${Math.round(window.durationMs)} ms`,
    );
  }
  assert.equal(rig.ffmpegState(), 'decoding');
  assert.ok(window.ffmpegSpeed >= 0.85, `ffmpeg decoded at ${window.ffmpegSpeed.toFixed(2)}× real time`);
}

function describeRun(
  t: TestContext,
  m: { window: ViewerWindow; during: DuringAbuse; after: ServerProbe },
  baseline: ServerProbe,
): void {
  const ratios = [...m.window.socketRatios].sort((a, b) => a - b);
  t.diagnostic(
    `viewers: min ${ratios[0].toFixed(3)}, median ${ratios[ratios.length >> 1].toFixed(3)} of the source; ` +
      `ffmpeg ${m.window.ffmpegSpeed.toFixed(2)}× over ${(m.window.durationMs / 1000).toFixed(1)} s`,
  );
  t.diagnostic(
    `server (baseline → peak → after): RSS ${mb(baseline.rssBytes)} → ${mb(m.during.peakRssBytes)} → ` +
      `${mb(m.after.rssBytes)} MB, heap ${mb(baseline.heapUsedBytes)} → ${mb(m.after.heapUsedBytes)} MB, ` +
      `external ${mb(baseline.externalBytes)} → ${mb(m.after.externalBytes)} MB, ` +
      `connections ${baseline.connections} → ${m.during.peakConnections} → ${m.after.connections}, ` +
      `fds ${baseline.fds} → ${m.during.peakFds} → ${m.after.fds}`,
  );
}

describe('HTTP abuse while 10 real viewers watch', { timeout: 240_000 }, () => {
  let rig: AbuseRig;
  let baseline: ServerProbe;

  before(async () => {
    rig = await AbuseRig.start({ socketViewers: 9, maxSec: 300 });
    await rig.warmUp();
    baseline = await rig.baseline();
  });
  after(() => rig?.stop());

  it(
    `Slowloris (${S.slowlorisConnections} connections) gets 408 after the header timeout, and every malformed, ` +
      'oversized, pipelined, odd-method, traversal, HTTP/1.0 and Range request its answer',
    async (t) => {
      const m = await rig.measure(
        async () => {
          const loris = slowloris(rig.port, {
            connections: S.slowlorisConnections,
            lineIntervalMs: 1000,
            maxMs: HEADER_TIMEOUT_MS * 3,
          });
          const cases = await runRequestCases(rig.port);
          return { loris: await loris, cases };
        },
        baseline,
        TOLERANCE,
      );
      describeRun(t, m, baseline);
      const { loris, cases } = m.result;
      const wrong = cases
        .filter((o) => o.problems.length > 0)
        .map((o) => `${o.case.category} ${JSON.stringify(o.case.name)}: ${o.problems.join('; ')}`);
      assert.deepEqual(wrong, [], 'every request gets the answer it is owed');
      t.diagnostic(`${cases.length} requests answered as owed`);
      t.diagnostic(
        `Slowloris: ${JSON.stringify(loris.outcomes)}, held ${Math.round(loris.heldMs[0])}–${Math.round(loris.heldMs[loris.heldMs.length - 1])} ms`,
      );
      assert.deepEqual(loris.outcomes, { '408': S.slowlorisConnections });
      assert.ok(
        loris.heldMs[loris.heldMs.length - 1] < HEADER_TIMEOUT_MS + CHECK_INTERVAL_MS + 3000,
        `the last Slowloris connection was held ${Math.round(loris.heldMs[loris.heldMs.length - 1])} ms`,
      );
      assertViewersKeptUp(rig, m.window);
      assert.deepEqual(m.leaks, [], 'back to the baseline');
    },
  );

  it(`a connect flood (${S.floodPerSec}/s for ${S.floodSec} s) is accepted and forgotten`, async (t) => {
    const m = await rig.measure(
      () => connectFlood(rig.port, { perSec: S.floodPerSec, seconds: S.floodSec }),
      baseline,
      TOLERANCE,
    );
    describeRun(t, m, baseline);
    const flood = m.result;
    t.diagnostic(
      `flood: ${flood.connected}/${flood.attempted} connected, ${Math.round(flood.connectsPerSec)}/s, ` +
        `errors ${JSON.stringify(flood.errors)}, skipped ${flood.skipped}`,
    );
    assert.deepEqual(flood.errors, {}, 'no connection refused or reset');
    assert.equal(flood.connected, flood.attempted);
    assertViewersKeptUp(rig, m.window);
    assert.deepEqual(m.leaks, [], 'back to the baseline');
  });

  it(`${S.cycles} viewers joining and leaving leave nothing behind`, async (t) => {
    const m = await rig.measure(
      () => viewerCycles(rig.port, { cycles: S.cycles, concurrency: S.cycleConcurrency }),
      baseline,
      TOLERANCE,
    );
    describeRun(t, m, baseline);
    const cycles = m.result;
    t.diagnostic(`cycles: ${Math.round(cycles.perSec)}/s, statuses ${JSON.stringify(cycles.statuses)}`);
    assert.deepEqual(cycles.statuses, { '200': S.cycles / 2 });
    assert.deepEqual(cycles.errors, {});
    assertViewersKeptUp(rig, m.window);
    assert.deepEqual(m.leaks, [], 'back to the baseline');
  });

  it('a viewer reading at 1 Mbit/s (half the source) holds back nobody', async (t) => {
    const m = await rig.measure(
      () => slowReader(rig.port, { bitsPerSec: S.slowReaderBitsPerSec, seconds: S.slowReaderSec }),
      baseline,
      TOLERANCE,
    );
    describeRun(t, m, baseline);
    const slow = m.result;
    t.diagnostic(
      `slow reader: ${(slow.bitsPerSec / 1e6).toFixed(2)} Mbit/s over ${Math.round(slow.ranMs)} ms, ` +
        `dropped by the server: ${slow.closedByServer}; server skips ${JSON.stringify(m.during.last?.skips)}, dropped ${m.after.dropped}`,
    );
    assert.equal(slow.status, 200);
    assertViewersKeptUp(rig, m.window);
    assert.deepEqual(m.leaks, [], 'back to the baseline');
  });
});
