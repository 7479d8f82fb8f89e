/**
 * Loss: a Chromium viewer behind a link that drops 5% of the UDP packets it receives (a network
 * namespace joined by a veth pair, an nftables rule in it: `numgen random mod 100 < 5 drop`) watches
 * `mkvcast serve` over WebRTC, beside a werift viewer on the host's loopback; both for the same
 * window. Root only (ip netns, nft).
 *
 *   node dist/bench/webrtc-loss.js [SECONDS] [PERCENT]     prints JSON
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../support/browser.js';
import { makeMedia } from '../support/media.js';
import { freePort } from '../support/ports.js';
import { killAll, spawnTracked, waitFor } from '../support/processes.js';
import { countPeers, transportLine } from '../support/webrtc-page.js';
import type { ClientsResult } from './whep-clients.js';

const MKVCAST_BIN = fileURLToPath(new URL('../../bin/mkvcast.js', import.meta.url));
const CLIENTS = fileURLToPath(new URL('./whep-clients.js', import.meta.url));
const NS = 'mkvcastloss';
const HOST_IP = '10.77.0.1';
const NS_IP = '10.77.0.2';

export interface LossResult {
  lossPercent: number;
  seconds: number;
  /** The viewer behind the lossy link (Chromium's inbound-rtp stats over the window). */
  lossy: {
    fps: number;
    packetsLost: number;
    nacks: number;
    plis: number;
    freezes: number;
    longestFreezeMs: number;
  };
  /** The werift viewer on loopback: frames a second received. */
  clean: { fps: number };
}

const run = (args: string[]): void => void execFileSync(args[0], args.slice(1), { stdio: 'ignore' });

function setUp(percent: number): void {
  tearDown();
  run(['ip', 'netns', 'add', NS]);
  run(['ip', 'link', 'add', 'mkvl0', 'type', 'veth', 'peer', 'name', 'mkvl1']);
  run(['ip', 'link', 'set', 'mkvl1', 'netns', NS]);
  run(['ip', 'addr', 'add', `${HOST_IP}/24`, 'dev', 'mkvl0']);
  run(['ip', 'link', 'set', 'mkvl0', 'up']);
  run(['ip', 'netns', 'exec', NS, 'ip', 'addr', 'add', `${NS_IP}/24`, 'dev', 'mkvl1']);
  run(['ip', 'netns', 'exec', NS, 'ip', 'link', 'set', 'mkvl1', 'up']);
  run(['ip', 'netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
  const rules = `table inet mkvcastloss {\n chain input {\n  type filter hook input priority 0;\n  iifname "mkvl1" meta l4proto udp numgen random mod 100 < ${percent} drop\n }\n}\n`;
  const file = path.join(tmpdir(), 'mkvcast-loss.nft');
  writeFileSync(file, rules);
  run(['ip', 'netns', 'exec', NS, 'nft', '-f', file]);
}

function tearDown(): void {
  try {
    run(['ip', 'link', 'del', 'mkvl0']);
  } catch {
    // not there
  }
  try {
    run(['ip', 'netns', 'del', NS]);
  } catch {
    // not there
  }
}

export async function benchWebRtcLoss(seconds = 15, percent = 5): Promise<LossResult> {
  const input = await makeMedia('h264-opus', {
    seconds: 10,
    width: 1280,
    height: 720,
    fps: 30,
    bitrateKbps: 2000,
  });
  setUp(percent);
  // Chromium started inside the namespace: a wrapper playwright runs as the browser.
  const wrapper = path.join(tmpdir(), 'mkvcast-chromium-in-netns.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${NS} /usr/bin/chromium "$@"\n`);
  chmodSync(wrapper, 0o755);
  const port = await freePort();
  spawnTracked(process.execPath, [MKVCAST_BIN, 'serve', input, '--loop', '--port', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const previous = process.env.CHROMIUM_PATH;
  process.env.CHROMIUM_PATH = wrapper;
  const browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
  if (previous === undefined) delete process.env.CHROMIUM_PATH;
  else process.env.CHROMIUM_PATH = previous;
  try {
    await waitFor(
      'serve',
      async () => (await fetch(`http://127.0.0.1:${port}/status`).catch(() => null))?.ok,
      {
        timeoutMs: 20_000,
        intervalMs: 200,
      },
    );
    const context = await browser.newContext();
    await countPeers(context);
    const page = await context.newPage();
    await page.goto(`http://${HOST_IP}:${port}/`);
    await waitFor(
      'WebRTC in the namespace',
      async () => (await transportLine(page)) === 'Playing over WebRTC.',
      {
        timeoutMs: 30_000,
      },
    ).catch(async (e) => {
      throw new Error(`${String(e)}: ${await transportLine(page)}`);
    });
    const clean = spawnTracked(
      process.execPath,
      [CLIENTS, `http://127.0.0.1:${port}/whep`, '1', String(seconds)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    clean.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor('the clean viewer', () => out.includes('measuring'), { timeoutMs: 30_000 });
    const STATS = `(async () => {
      let found = null;
      (await window.__peers.at(-1).getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') found = s;
      });
      return { frames: found.framesDecoded, lost: found.packetsLost, nacks: found.nackCount, plis: found.pliCount,
        freezes: found.freezeCount ?? 0, freezeSec: found.totalFreezesDuration ?? 0 };
    })()`;
    type Stats = {
      frames: number;
      lost: number;
      nacks: number;
      plis: number;
      freezes: number;
      freezeSec: number;
    };
    const first = await page.evaluate<Stats>(STATS);
    const t0 = performance.now();
    let longestFreezeMs = 0;
    let last = first;
    while (performance.now() - t0 < seconds * 1000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const now = await page.evaluate<Stats>(STATS);
      if (now.freezes > last.freezes)
        longestFreezeMs = Math.max(
          longestFreezeMs,
          ((now.freezeSec - last.freezeSec) * 1000) / (now.freezes - last.freezes),
        );
      last = now;
    }
    const elapsed = (performance.now() - t0) / 1000;
    await waitFor('the clean viewer to finish', () => out.trim().endsWith('}'), { timeoutMs: 30_000 });
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as ClientsResult;
    return {
      lossPercent: percent,
      seconds,
      lossy: {
        fps: Math.round(((last.frames - first.frames) / elapsed) * 10) / 10,
        packetsLost: last.lost - first.lost,
        nacks: last.nacks - first.nacks,
        plis: last.plis - first.plis,
        freezes: last.freezes - first.freezes,
        longestFreezeMs: Math.round(longestFreezeMs),
      },
      clean: { fps: result.fps[0] ?? 0 },
    };
  } finally {
    await browser.close();
    await killAll();
    tearDown();
  }
}

/** The report's rows (docs/benchmarks.md). */
export function webrtcLossSection(rows: LossResult[]): string {
  if (!rows.length) return '';
  const line = (r: LossResult) =>
    `| ${r.lossPercent} % | ${r.lossy.fps} | ${r.lossy.nacks} | ${r.lossy.packetsLost} | ${r.lossy.plis} | ${r.lossy.freezes} | ${r.lossy.longestFreezeMs} | ${r.clean.fps} |`;
  return `
### Loss: a WebRTC viewer behind a lossy link

\`bench/webrtc-loss.ts\`: Chromium in a network namespace (veth, nftables drops that share of the UDP it receives) plays \`mkvcast serve\` of a 720p30 2 Mbit/s file (1 s GOP) over WebRTC, ${rows[0].seconds} s; beside it a werift viewer on loopback.

| loss | lossy viewer fps | NACKs sent | packets lost for good | PLIs | freezes | longest freeze ms | clean viewer fps |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.map(line).join('\n')}
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [seconds, percent] = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(await benchWebRtcLoss(seconds || 15, percent || 5), null, 2));
}
