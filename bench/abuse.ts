/**
 * The HTTP abuse suite at the issue's full scale (test/abuse.test.ts runs a reduced one): 1000 Slowloris
 * connections, 5000 connects/s for 10 s, 10 000 viewer join/leave cycles, a 1 Mbit/s reader for 20 s,
 * and every malformed, oversized, pipelined, odd-method, traversal, HTTP/1.0 and Range request, while 10
 * viewers watch a 2 Mbit/s stream. Prints, per abuse: the viewers' throughput against the source, the
 * answers seen, and the server's memory, fds and timers at baseline, at peak and after.
 *
 * Usage: node dist/bench/abuse.js [--json FILE]
 */
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { runRequestCases } from '../support/abuse-cases.js';
import { connectFlood, slowloris, slowReader, viewerCycles } from '../support/abuse-clients.js';
import type { ServerProbe } from '../support/abuse-server.js';
import {
  AbuseRig,
  FULL_SCALE,
  LEAK_TOLERANCE,
  type DuringAbuse,
  type ViewerWindow,
} from '../support/abuse.js';
import { killAll } from '../support/processes.js';

const S = FULL_SCALE;

export interface AbuseRow {
  abuse: string;
  /** Socket viewers' bytes / source bytes over the abuse: lowest and median. */
  viewersMin: number;
  viewersMedian: number;
  ffmpegSpeed: number;
  viewersDropped: number;
  /** What the abusive clients saw, in a few words. */
  answers: string;
  rssMb: [baseline: number, peak: number, after: number];
  fds: [baseline: number, peak: number, after: number];
  connections: [baseline: number, peak: number, after: number];
  timers: [baseline: number, after: number];
  leaks: string[];
}

const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;

function row(
  abuse: string,
  answers: string,
  baseline: ServerProbe,
  m: { window: ViewerWindow; during: DuringAbuse; after: ServerProbe; leaks: string[] },
): AbuseRow {
  const ratios = [...m.window.socketRatios].sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    abuse,
    viewersMin: round(ratios[0]),
    viewersMedian: round(ratios[ratios.length >> 1]),
    ffmpegSpeed: round(m.window.ffmpegSpeed),
    viewersDropped: m.window.closed,
    answers,
    rssMb: [
      mb(baseline.rssBytes),
      mb(Math.max(m.during.peakRssBytes, m.after.rssBytes)),
      mb(m.after.rssBytes),
    ],
    fds: [baseline.fds, Math.max(m.during.peakFds, m.after.fds), m.after.fds],
    connections: [
      baseline.connections,
      Math.max(m.during.peakConnections, m.after.connections),
      m.after.connections,
    ],
    timers: [baseline.resources.Timeout ?? 0, m.after.resources.Timeout ?? 0],
    leaks: m.leaks,
  };
}

const count = (record: Record<string, number>): string =>
  Object.entries(record)
    .map(([k, v]) => `${v}×${k}`)
    .join(', ') || 'none';

async function main(): Promise<void> {
  const jsonAt = process.argv.indexOf('--json');
  const rows: AbuseRow[] = [];
  const rig = await AbuseRig.start({ socketViewers: 9, maxSec: 900 });
  try {
    await rig.warmUp();
    const baseline = await rig.baseline();
    const log = (r: AbuseRow): void => {
      rows.push(r);
      process.stdout.write(
        `${r.abuse}: viewers ${r.viewersMin}/${r.viewersMedian} (min/median), ffmpeg ${r.ffmpegSpeed}×, ` +
          `${r.answers}; RSS ${r.rssMb.join(' → ')} MB, fds ${r.fds.join(' → ')}, ` +
          `timers ${r.timers.join(' → ')}; ${r.leaks.length ? `LEAKS: ${r.leaks.join('; ')}` : 'no leak'}\n`,
      );
    };

    const cases = await rig.measure(() => runRequestCases(rig.port), baseline, LEAK_TOLERANCE);
    const statuses: Record<string, number> = {};
    for (const o of cases.result)
      for (const s of o.got.statuses.length ? o.got.statuses : ['close'])
        statuses[s] = (statuses[s] ?? 0) + 1;
    const wrong = cases.result.filter((o) => o.problems.length > 0).map((o) => o.case.name);
    log(
      row(
        `${cases.result.length} bad requests`,
        `${count(statuses)}; not as owed: ${wrong.join(', ') || 'none'}`,
        baseline,
        cases,
      ),
    );

    const loris = await rig.measure(
      () => slowloris(rig.port, { connections: S.slowlorisConnections, lineIntervalMs: 1000, maxMs: 60_000 }),
      baseline,
      LEAK_TOLERANCE,
    );
    const held = loris.result.heldMs;
    log(
      row(
        `Slowloris ${S.slowlorisConnections}`,
        `${count(loris.result.outcomes)}, held ${Math.round(held[0] ?? 0)}–${Math.round(held[held.length - 1] ?? 0)} ms, still open ${loris.result.stillOpen}`,
        baseline,
        loris,
      ),
    );

    const flood = await rig.measure(
      () => connectFlood(rig.port, { perSec: S.floodPerSec, seconds: S.floodSec }),
      baseline,
      LEAK_TOLERANCE,
    );
    const f = flood.result;
    log(
      row(
        `connect flood ${S.floodPerSec}/s × ${S.floodSec} s`,
        `${f.connected}/${f.attempted} connected at ${Math.round(f.connectsPerSec)}/s, errors ${count(f.errors)}, not attempted ${f.skipped}`,
        baseline,
        flood,
      ),
    );

    const cycles = await rig.measure(
      () => viewerCycles(rig.port, { cycles: S.cycles, concurrency: S.cycleConcurrency }),
      baseline,
      LEAK_TOLERANCE,
    );
    log(
      row(
        `${S.cycles} viewer join/leave cycles`,
        `${Math.round(cycles.result.perSec)}/s, ${count(cycles.result.statuses)}, errors ${count(cycles.result.errors)}`,
        baseline,
        cycles,
      ),
    );

    const slow = await rig.measure(
      () => slowReader(rig.port, { bitsPerSec: S.slowReaderBitsPerSec, seconds: S.slowReaderSec }),
      baseline,
      LEAK_TOLERANCE,
    );
    const r = slow.result;
    log(
      row(
        `reader at ${S.slowReaderBitsPerSec / 1e6} Mbit/s for ${S.slowReaderSec} s`,
        `${r.status}, read ${(r.bitsPerSec / 1e6).toFixed(2)} Mbit/s, dropped by the server: ${r.closedByServer}, its skips ${JSON.stringify(slow.during.last?.skips.filter((n) => n > 0) ?? [])}`,
        baseline,
        slow,
      ),
    );
  } finally {
    await rig.stop();
    await killAll();
  }
  if (jsonAt > 0)
    await writeFile(process.argv[jsonAt + 1], JSON.stringify({ scale: S, rows }, null, 2) + '\n');
  const failed = rows.filter(
    (r) => r.leaks.length > 0 || r.viewersMin < 0.85 || r.ffmpegSpeed < 0.85 || r.viewersDropped > 0,
  );
  process.exitCode = failed.length > 0 ? 1 : 0;
}

/** The report's section for the rows of a run (read back from its --json file). */
export function abuseSection(rows: AbuseRow[] | null): string {
  if (!rows) return '';
  const lines = [
    '',
    '## HTTP abuse while 10 viewers watch (bench/abuse.ts)',
    '',
    'The real server in its own process, a 2.2 Mbit/s stream, 9 socket viewers and one ffmpeg decoding it. Viewers: bytes received / bytes the source sent over the abuse (lowest/median); memory and file descriptors: baseline → peak → after (after a forced collection).',
    '',
    '| abuse | viewers | ffmpeg | answers | RSS MB | fds | timers | leaks |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.abuse} | ${r.viewersMin}/${r.viewersMedian} | ${r.ffmpegSpeed}× | ${r.answers} | ${r.rssMb.join(' → ')} | ${r.fds.join(' → ')} | ${r.timers.join(' → ')} | ${r.leaks.length ? r.leaks.join('; ') : 'none'} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `bench/abuse: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}
