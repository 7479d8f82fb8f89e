/**
 * Sound with the picture, measured: `mkvcast share --audio system` under Xvfb with a private PulseAudio.
 * Each round paints the screen a new colour (xsetroot; its return is the draw time) and at once plays a
 * 120 ms 1 kHz beep into the captured sink (written to a pacat with a 10 ms buffer). A viewer (ffmpeg
 * decoding picture and sound, support/av-viewer.ts) finds the first frame of the colour and the first
 * audio frame of the beep:
 *   - offset: beep timestamp − frame timestamp in the stream (positive: sound late), the sync goal;
 *   - latency: when each was decoded at the viewer, from the draw time (glass to glass for the picture,
 *     speaker to decoded sound for the beep), and their difference.
 *
 *   node dist/bench/audio-sync.js [--quick]     prints the section; run.ts puts it into docs/benchmarks.md
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { avViewer } from '../support/av-viewer.js';
import { freePort } from '../support/ports.js';
import { killAll, spawnTracked, waitFor } from '../support/processes.js';
import { SPEAKERS, sinePcm, startPulse } from '../support/pulse.js';
import { startXvfb } from '../support/xvfb.js';

const MKVCAST_BIN = fileURLToPath(new URL('../../bin/mkvcast.js', import.meta.url));

export interface Spread {
  samples: number;
  p50: number;
  p95: number;
  /** Of the absolute values (offsets), or the largest (latencies). */
  max: number;
}

export interface AudioSyncResult {
  width: number;
  height: number;
  fps: number;
  /** Beep − frame, stream timestamps (ms); p95 and max of |offset|. */
  offsetMs: Spread;
  pictureMs: Spread;
  soundMs: Spread;
  /** soundMs p50 − pictureMs p50. */
  soundMinusPictureP50Ms: number;
  missed: number;
}

function spread(values: number[], absolute: boolean): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const abs = values.map(Math.abs).sort((a, b) => a - b);
  const at = (list: number[], q: number): number =>
    list.length === 0 ? 0 : list[Math.min(list.length - 1, Math.floor(q * list.length))];
  const round = (n: number): number => Math.round(n * 10) / 10;
  return {
    samples: values.length,
    p50: round(at(sorted, 0.5)),
    p95: round(absolute ? at(abs, 0.95) : at(sorted, 0.95)),
    max: round(absolute ? (abs.at(-1) ?? 0) : (sorted.at(-1) ?? 0)),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await closed;
  clearTimeout(timer);
}

export async function benchAudioSync(
  options: { quick?: boolean; width?: number; height?: number; fps?: number } = {},
): Promise<AudioSyncResult> {
  const rounds = options.quick ? 12 : 40;
  const { width = 1280, height = 720, fps = 30 } = options;
  const [xvfb, pulse] = await Promise.all([startXvfb([{ width, height }]), startPulse()]);
  let share: ChildProcess | null = null;
  const player = pulse.player(SPEAKERS);
  try {
    await xvfb.paint('#000000');
    const port = await freePort();
    share = spawnTracked(
      process.execPath,
      [
        MKVCAST_BIN,
        'share',
        '--display',
        xvfb.display,
        '--fps',
        String(fps),
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--token',
        'none',
        '--audio',
        'system',
        '--quiet',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...pulse.env } },
    );
    const url = `http://127.0.0.1:${port}/live.mkv`;
    await waitFor(
      'mkvcast share to serve',
      async () => (await fetch(url.replace('live.mkv', 'status')).catch(() => null))?.ok,
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    const viewer = avViewer(url);
    await waitFor('picture and sound', () => viewer.video.length > 10 && viewer.audio.length > 100, {
      timeoutMs: 20_000,
    });
    const offsets: number[] = [];
    const picture: number[] = [];
    const sound: number[] = [];
    let missed = 0;
    let white = false;
    for (let i = 0; i < rounds; i++) {
      white = !white;
      const since = { video: viewer.video.length, audio: viewer.audio.length };
      await xvfb.paint(white ? '#ffffff' : '#000000');
      const drawnMs = performance.now();
      player.write(sinePcm(1000, 120));
      try {
        const frame = await waitFor(
          'the colour',
          () => viewer.video.slice(since.video).find((f) => (white ? f.value > 180 : f.value < 60)),
          { timeoutMs: 3000, intervalMs: 2 },
        );
        const beep = await waitFor(
          'the beep',
          () => viewer.audio.slice(since.audio).find((f) => f.value > -30),
          { timeoutMs: 3000, intervalMs: 2 },
        );
        offsets.push((beep.ptsSec - frame.ptsSec) * 1000);
        picture.push(frame.atMs - drawnMs);
        sound.push(beep.atMs - drawnMs);
      } catch {
        missed += 1;
      }
      await waitFor('the beep to end', () => (viewer.audio.at(-1)?.value ?? 0) < -50, {
        timeoutMs: 3000,
        intervalMs: 10,
      }).catch(() => {});
      await sleep(200 + Math.random() * 200);
    }
    viewer.child.kill('SIGKILL');
    const pictureMs = spread(picture, false);
    const soundMs = spread(sound, false);
    return {
      width,
      height,
      fps,
      offsetMs: spread(offsets, true),
      pictureMs,
      soundMs,
      soundMinusPictureP50Ms: Math.round((soundMs.p50 - pictureMs.p50) * 10) / 10,
      missed,
    };
  } finally {
    player.child.kill('SIGKILL');
    if (share) await stopChild(share);
    await pulse.stop();
    await xvfb.stop();
  }
}

export function audioSyncSection(result: AudioSyncResult | null): string {
  if (!result) return '\n## Sound with the picture\n\n_Not run (`--quick` or `--no-audio-sync`)._\n';
  const r = result;
  const verdict = (ok: boolean): string => (ok ? '**met**' : '**not met**');
  return `
## Sound with the picture

\`bench/audio-sync.ts\`: \`mkvcast share --audio system\` at ${r.width}×${r.height} @ ${r.fps} fps under Xvfb,
with a private PulseAudio (null sink). Each round paints the screen a new colour and at once plays a 120 ms
1 kHz beep into the sink; a viewer (ffmpeg decoding both) finds the first frame of the colour and the first
audio frame of the beep. Offset: beep − frame in stream time (positive: sound late). Latency: decoded at the
viewer, from the draw time. ${r.missed} of ${r.offsetMs.samples + r.missed} rounds missed.

| measure | p50 ms | p95 ms | max ms | samples |
| --- | --- | --- | --- | --- |
| offset, sound − picture (p95, max of \\|offset\\|) | ${r.offsetMs.p50} | ${r.offsetMs.p95} | ${r.offsetMs.max} | ${r.offsetMs.samples} |
| picture, glass to glass | ${r.pictureMs.p50} | ${r.pictureMs.p95} | ${r.pictureMs.max} | ${r.pictureMs.samples} |
| beep, sink to decoded | ${r.soundMs.p50} | ${r.soundMs.p95} | ${r.soundMs.max} | ${r.soundMs.samples} |

| goal | measured | |
| --- | --- | --- |
| \\|offset\\| ≤ 45 ms at p95 | ${r.offsetMs.p95} ms | ${verdict(r.offsetMs.p95 <= 45)} |
| beep within 20 ms of the picture's glass to glass (p50) | ${r.soundMinusPictureP50Ms} ms | ${verdict(Math.abs(r.soundMinusPictureP50Ms) <= 20)} |
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  benchAudioSync({ quick }).then(
    (result) => {
      process.stdout.write(audioSyncSection(result));
      process.stdout.write(`\n${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    async (error: unknown) => {
      process.stderr.write(`audio-sync: ${(error as Error).stack ?? String(error)}\n`);
      await killAll();
      process.exit(1);
    },
  );
}
