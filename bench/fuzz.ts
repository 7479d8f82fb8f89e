/**
 * `npm run fuzz`: a bounded fuzz campaign over the MatroskaReader (server/matroska/fuzz-*.ts). Mutates the
 * seed streams in test/fixtures/fuzz/seeds/ and the corpus in test/fixtures/fuzz/corpus/, and prints the
 * inputs tried, crashes and other broken contracts (each saved as a reproducer), the slowest input and the
 * peak memory. Inputs that end in a way no corpus file shows yet are shrunk and saved to the corpus.
 *
 *   npm run fuzz -- [--seconds 60] [--seed N] [--out DIR]
 *   npm run fuzz -- --make-seeds     (remakes the seed streams with ffmpeg; the committed ones are used otherwise)
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  loadInputs,
  corpusFileName,
  runCampaign,
  type CampaignReport,
  type Finding,
} from '../support/fuzz/campaign.js';
import { applyMutations, parseTree, type Mutation } from '../support/fuzz/mutations.js';
import { ID } from '../server/matroska/ebml.js';
import { makeMedia, type MediaKind, type MediaOptions } from '../support/media.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FUZZ_FIXTURES = path.join(ROOT, 'test/fixtures/fuzz');
const SEEDS_DIR = path.join(FUZZ_FIXTURES, 'seeds');
const CORPUS_DIR = path.join(FUZZ_FIXTURES, 'corpus');

const SMALL: MediaOptions = { seconds: 1, width: 160, height: 90, fps: 15, gopFrames: 5 };
const SEED_STREAMS: Array<{ name: string; kind: MediaKind; options: MediaOptions }> = [
  { name: 'h264-aac-live.mkv', kind: 'h264-aac', options: SMALL },
  { name: 'h264-aac-file.mkv', kind: 'h264-aac', options: { ...SMALL, live: false } },
  { name: 'vp9-opus-live.webm', kind: 'vp9-opus', options: SMALL },
  { name: 'opus-only-live.webm', kind: 'opus-only', options: SMALL },
];

/** The seed streams, made by ffmpeg, plus one remuxed the way other muxers write (see regroup). */
async function makeSeeds(): Promise<void> {
  await mkdir(SEEDS_DIR, { recursive: true });
  for (const { name, kind, options } of SEED_STREAMS) {
    const bytes = await readFile(await makeMedia(kind, options));
    await writeFile(path.join(SEEDS_DIR, name), bytes);
    console.log(`${name}: ${bytes.length} bytes`);
  }
  const live = await readFile(path.join(SEEDS_DIR, 'h264-aac-live.mkv'));
  const regrouped = regroup(live);
  await writeFile(path.join(SEEDS_DIR, 'h264-aac-regrouped.mkv'), regrouped);
  console.log(`h264-aac-regrouped.mkv: ${regrouped.length} bytes`);
}

/**
 * ffmpeg's stream with clusters merged three by three across keyframes, every other one of unknown size,
 * and every third SimpleBlock made a BlockGroup: what the reader's cutting and BlockGroup paths read.
 */
function regroup(bytes: Buffer): Buffer {
  const clusterCount = parseTree(bytes).filter((node) => node.id === ID.Cluster).length;
  const merges: Mutation[] = [];
  for (let i = 0; i < Math.floor(clusterCount / 3); i++)
    merges.push({ op: 'mergeClusters', a: i, b: 1, c: i % 2 });
  let out = applyMutations(bytes, merges, { donors: [] });
  const blockCount = parseTree(out).filter((node) => node.id === ID.SimpleBlock).length;
  const groups: Mutation[] = [];
  // From the last one back, so that earlier indices still point at SimpleBlocks.
  for (let i = blockCount - 1; i >= 0; i -= 3) groups.push({ op: 'blockGroup', a: i, b: 0, c: 0 });
  out = applyMutations(out, groups, { donors: [] });
  return out;
}

const MiB = 1024 * 1024;

function printReport(report: CampaignReport, saved: Map<Finding, string>, seed: number): void {
  const problems = report.findings.filter((f) => f.kind !== 'feature');
  const features = report.findings.filter((f) => f.kind === 'feature');
  const outcomes = Object.entries(report.outcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
  console.log(
    `seed ${seed}: ${report.tried} inputs in ${report.seconds.toFixed(1)} s (${(report.tried / report.seconds).toFixed(0)}/s)`,
  );
  console.log(`outcomes: ${outcomes}`);
  console.log(`crashes and broken contracts: ${problems.length}`);
  for (const finding of problems) {
    console.log(`  ${finding.kind}: ${finding.description}\n    reproducer: ${saved.get(finding)}`);
    if (finding.plan) console.log(`    plan: ${finding.plan}`);
  }
  console.log(`new kinds of outcome: ${features.length}`);
  for (const finding of features)
    console.log(`  ${finding.description} -> ${saved.get(finding)} (${finding.input.length} bytes)`);
  console.log(
    `slowest input: ${report.slowest.ms.toFixed(1)} ms, ${report.slowest.bytes} bytes (${report.slowest.outcome})`,
  );
  console.log(`most bytes the reader held: ${report.peakBufferedBytes}`);
  console.log(
    `peak RSS ${(report.peakRssBytes / MiB).toFixed(0)} MiB, peak worker heap ${(report.peakHeapBytes / MiB).toFixed(0)} MiB`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      seed: { type: 'string' },
      out: { type: 'string', default: CORPUS_DIR },
      'make-seeds': { type: 'boolean', default: false },
    },
  });
  if (values['make-seeds']) return makeSeeds();
  const seconds = Number(values.seconds);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
  if (!(seconds > 0) || !Number.isSafeInteger(seed)) {
    throw new Error('--seconds takes a positive number and --seed an integer, e.g. --seconds 60 --seed 42');
  }
  const seeds = await loadInputs(SEEDS_DIR);
  const corpus = await loadInputs(values.out);
  if (seeds.length === 0)
    throw new Error(`no seed streams in ${SEEDS_DIR}: run npm run fuzz -- --make-seeds`);
  console.log(
    `fuzzing the MatroskaReader for ${seconds} s from ${seeds.length} seed streams and ${corpus.length} corpus files (seed ${seed})`,
  );
  let lastPrinted = Date.now();
  const report = await runCampaign({
    seeds,
    corpus,
    seed,
    seconds,
    onProgress: (tried) => {
      if (Date.now() - lastPrinted < 10_000) return;
      lastPrinted = Date.now();
      console.log(`  ${tried} inputs`);
    },
  });
  const saved = new Map<Finding, string>();
  await mkdir(values.out, { recursive: true });
  for (const finding of report.findings) {
    const file = path.join(values.out, corpusFileName(finding));
    await writeFile(file, finding.input);
    saved.set(finding, path.relative(process.cwd(), file));
  }
  printReport(report, saved, seed);
  if (report.findings.some((f) => f.kind !== 'feature')) process.exitCode = 1;
}

try {
  await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  console.error('usage: npm run fuzz -- [--seconds 60] [--seed N] [--out DIR] | --make-seeds');
  process.exitCode = 2;
}
