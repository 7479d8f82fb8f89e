/**
 * The fuzzer in `npm test`: a short seeded campaign over the committed seed streams, every committed corpus
 * input replayed through the oracle, and checks that the oracle and the mutations can fail at all.
 * `npm run fuzz` runs the long campaign (bench/fuzz.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadInputs, runCampaign } from './campaign.js';
import { MUTATION_OPS, applyMutation } from './mutations.js';
import { CHUNKINGS, FUZZ_CAPS, describeOutcome, judge, outcomeLabel } from './oracle.js';
import { MatroskaReader } from '../../server/matroska/reader.js';
import type { ReaderEvent } from '../../server/matroska/types.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/fuzz/', import.meta.url));
const SEED = 20261125;
const SEEDED_INPUTS = 6000;

test(`a seeded fuzz run of ${SEEDED_INPUTS} mutated ffmpeg streams finds no crash, hang, cap overrun or malformed event`, async () => {
  const seeds = await loadInputs(`${FIXTURES}seeds`);
  assert.ok(seeds.length >= 5, 'the committed seed streams');
  const report = await runCampaign({ seeds, seed: SEED, inputs: SEEDED_INPUTS, minimize: false });

  const problems = report.findings.filter((finding) => finding.kind !== 'feature');
  assert.deepEqual(
    problems.map((p) => `${p.kind}: ${p.description} (plan ${p.plan})`),
    [],
  );
  assert.ok(report.tried >= SEEDED_INPUTS, `${report.tried} inputs tried`);
  // The mutations reach deep into the reader: most error codes, and clean reads with cut clusters too.
  const reached = Object.keys(report.outcomes);
  for (const code of [
    'ok',
    'BAD_SIZE',
    'BAD_ID',
    'TRUNCATED',
    'BAD_BLOCK',
    'MISSING_TIMESTAMP',
    'ELEMENT_TOO_LARGE',
  ]) {
    assert.ok(reached.includes(code), `${code} reached (outcomes: ${JSON.stringify(report.outcomes)})`);
  }
  assert.ok(report.peakBufferedBytes <= FUZZ_CAPS.maxClusterBytes + 65536);
});

test('every committed corpus input settles as its file name says, whatever the chunking', async () => {
  const corpus = await loadInputs(`${FIXTURES}corpus`);
  assert.ok(corpus.length >= 20, `${corpus.length} corpus files`);
  for (const { name, bytes } of corpus) {
    for (const [i, mode] of CHUNKINGS.entries()) {
      if (mode === 'bytes1' && bytes.length > 16 * 1024) continue;
      const verdict = judge(bytes, { mode, seed: i });
      assert.equal(verdict.problem, null, `${name} in ${mode} chunks`);
      const label = outcomeLabel(verdict.outcome!);
      assert.ok(name.startsWith(`${label}-`), `${name} gave ${describeOutcome(verdict.outcome!)}`);
    }
  }
});

test('every mutation changes a real stream for some of its parameters', async () => {
  const [seed, ...donors] = (await loadInputs(`${FIXTURES}seeds`)).map((s) => s.bytes);
  for (const op of MUTATION_OPS) {
    const changed = [0, 1, 2, 3, 5, 8, 13, 21].some((n) => {
      const out = applyMutation(seed, { op, a: n * 7919, b: n, c: n * 31 }, { donors });
      return !out.equals(seed);
    });
    assert.ok(changed, op);
  }
});

/** A real stream, for the oracle's own checks. */
async function seedStream(): Promise<Buffer> {
  return (await loadInputs(`${FIXTURES}seeds`)).find((s) => s.name === 'h264-aac-live.mkv')!.bytes;
}

test('the oracle calls a reader that throws anything but a MatroskaError a crash', async () => {
  class ThrowingReader extends MatroskaReader {
    override push(chunk: Buffer): ReaderEvent[] {
      if (chunk.length > 0) throw new TypeError('cannot read properties of undefined');
      return super.push(chunk);
    }
  }
  const verdict = judge(
    await seedStream(),
    { mode: 'medium', seed: 1 },
    FUZZ_CAPS,
    (o) => new ThrowingReader(o),
  );
  assert.match(verdict.problem ?? '', /^crash: TypeError: cannot read properties of undefined/);
});

test('the oracle catches a reader that holds more than the caps allow', async () => {
  class HoardingReader extends MatroskaReader {
    override get bufferedBytes(): number {
      return FUZZ_CAPS.maxClusterBytes + 128 * 1024;
    }
  }
  const verdict = judge(
    await seedStream(),
    { mode: 'medium', seed: 1 },
    FUZZ_CAPS,
    (o) => new HoardingReader(o),
  );
  assert.match(verdict.problem ?? '', /^holds \d+ bytes after a \d+-byte chunk/);
});

test('the oracle catches a cluster whose timestamp is not the one in its bytes, and chunkings that disagree', async () => {
  class OffByOneReader extends MatroskaReader {
    override push(chunk: Buffer): ReaderEvent[] {
      return super
        .push(chunk)
        .map((event) =>
          event.kind === 'cluster'
            ? { ...event, cluster: { ...event.cluster, timestamp: event.cluster.timestamp + 1 } }
            : event,
        );
    }
  }
  const stream = await seedStream();
  const wrong = judge(stream, { mode: 'whole', seed: 0 }, FUZZ_CAPS, (o) => new OffByOneReader(o));
  assert.match(wrong.problem ?? '', /Timestamp element says \d+, event says \d+/);

  /** Drops the clusters that arrive from a push smaller than 100 bytes: right whole, wrong in small chunks. */
  class ChunkSensitiveReader extends MatroskaReader {
    override push(chunk: Buffer): ReaderEvent[] {
      const events = super.push(chunk);
      return chunk.length < 100 ? events.filter((e) => e.kind === 'header') : events;
    }
  }
  const disagree = judge(stream, { mode: 'small', seed: 1 }, FUZZ_CAPS, (o) => new ChunkSensitiveReader(o));
  assert.match(disagree.problem ?? '', /^small chunks \(seed 1\) gave ok .*, whole input gave ok/);
});
