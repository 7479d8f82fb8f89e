/**
 * Viewers that never read, at the scale (test/abuse-unread.test.ts runs a reduced one): 300
 * sockets from one address connect to `mkvcast serve --max-viewers 64`, never read, ask again 100 ms
 * after a refusal and reopen 70 held sockets every 2 s, for ATTACK_SEC; meanwhile a real viewer on
 * another address asks for the stream every 500 ms (it reads the head and the first bytes, then hangs
 * up). Then the attacker stops asking but keeps its sockets open: how long the server takes to drop
 * them, and the kernel's TCP memory (/proc/net/sockstat) at baseline, peak, at the drop and 10 s later.
 * Run twice: with the default per-address cap (8), and with it out of the way (the unread rule alone).
 *
 * Usage: node dist/bench/unread.js [--attack-sec N]
 */
import { connect } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { abuseSource } from '../support/abuse.js';
import { kernelTcpMemoryBytes, UnreadAttack } from '../support/abuse-unread.js';
import { killAll, waitFor } from '../support/processes.js';
import { startServe } from '../support/serve.js';

const ATTACKER = '127.0.0.2';
const VIEWER = '127.0.0.1';

/** One try of a real viewer: its status, and how long until the first body bytes (or the refusal). */
function tryToWatch(port: number): Promise<{ status: number; ms: number }> {
  const startedMs = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: VIEWER });
    let text = '';
    const done = (status: number): void => {
      socket.destroy();
      resolve({ status, ms: performance.now() - startedMs });
    };
    const timer = setTimeout(() => done(0), 5000);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      if (status !== 200 || text.length > end + 4) {
        clearTimeout(timer);
        done(status);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      done(0);
    });
    socket.write(`GET /live.mkv HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: real-viewer\r\n\r\n`);
  });
}

interface Run {
  label: string;
  tries: number;
  admitted: number;
  firstAdmittedSec: number | null;
  attackerStatuses: Record<string, number>;
  attackerViewersPeak: number;
  dropAfterSec: number | null;
  memMb: { baseline: number; peak: number; atDrop: number; tenSecLater: number };
}

const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;

async function run(label: string, extraArgs: string[], attackSec: number): Promise<Run> {
  const server = await startServe([await abuseSource(), '--loop', '--max-viewers', '64', ...extraArgs]);
  const attack = new UnreadAttack({
    port: server.port,
    path: '/live.mkv',
    localAddress: ATTACKER,
    sockets: 300,
    retryMs: 100,
    reopenEveryMs: 2000,
    reopenCount: 70,
  });
  try {
    await server.waitLive();
    const baseline = await kernelTcpMemoryBytes();
    let peak = baseline;
    const sampler = setInterval(
      () => void kernelTcpMemoryBytes().then((b) => (peak = Math.max(peak, b))),
      100,
    );
    attack.start();
    const startMs = performance.now();
    let tries = 0;
    let admitted = 0;
    let firstAdmittedSec: number | null = null;
    let attackerViewersPeak = 0;
    while (performance.now() - startMs < attackSec * 1000) {
      const nextMs = performance.now() + 500;
      const got = await tryToWatch(server.port);
      tries += 1;
      if (got.status === 200) {
        admitted += 1;
        firstAdmittedSec ??= (performance.now() - startMs) / 1000;
      }
      const status = await server.status();
      attackerViewersPeak = Math.max(
        attackerViewersPeak,
        status.viewers.filter((v) => v.address === ATTACKER).length,
      );
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextMs - performance.now())));
    }
    const attackerStatuses = attack.snapshot().statuses;
    attack.stopReconnecting();
    const stoppedMs = performance.now();
    let dropAfterSec: number | null = null;
    await waitFor(
      "the server to drop the attacker's sockets",
      async () => (await server.status()).viewers.every((v) => v.address !== ATTACKER),
      { timeoutMs: 60_000, intervalMs: 100 },
    ).then(
      () => (dropAfterSec = (performance.now() - stoppedMs) / 1000),
      () => {},
    );
    const atDrop = await kernelTcpMemoryBytes();
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const tenSecLater = await kernelTcpMemoryBytes();
    clearInterval(sampler);
    return {
      label,
      tries,
      admitted,
      firstAdmittedSec: firstAdmittedSec === null ? null : Math.round(firstAdmittedSec * 10) / 10,
      attackerStatuses,
      attackerViewersPeak,
      dropAfterSec: dropAfterSec === null ? null : Math.round((dropAfterSec as number) * 10) / 10,
      memMb: { baseline: mb(baseline), peak: mb(peak), atDrop: mb(atDrop), tenSecLater: mb(tenSecLater) },
    };
  } finally {
    attack.stop();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'attack-sec': { type: 'string' } } });
  const attackSec = Number(values['attack-sec'] ?? 40);
  const runs = [
    await run('per-address cap 8 (default)', [], attackSec),
    await run('no per-address cap (unread rule alone)', ['--max-viewers-per-address', '1000'], attackSec),
  ];
  for (const r of runs) {
    process.stdout.write(
      `${r.label}: real viewer in ${r.admitted}/${r.tries} tries over ${attackSec} s, first after ` +
        `${r.firstAdmittedSec ?? 'never'} s; attacker answers ${JSON.stringify(r.attackerStatuses)}, ` +
        `at most ${r.attackerViewersPeak} attacker viewers; attacker dropped ${r.dropAfterSec ?? '>60'} s ` +
        `after it stopped asking; kernel TCP memory ${r.memMb.baseline} MB baseline, ${r.memMb.peak} MB peak, ` +
        `${r.memMb.atDrop} MB at the drop, ${r.memMb.tenSecLater} MB 10 s later\n`,
    );
  }
  await killAll();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch(async (error: unknown) => {
    process.stderr.write(
      `bench/unread: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await killAll();
    process.exit(1);
  });
}
