/**
 * The fuzz loop, run in a worker thread so that the host can stop it when one input does not settle: fast-
 * check generates plans (a seed stream, mutations, a chunking), the oracle judges each mutated input, and a
 * plan that breaks the contract is shrunk by fast-check, then its input by minimize(). Before each judged
 * input the worker writes it to shared memory and after it bumps a counter: the host's watchdog reads both.
 * Test support only.
 */
import fc from 'fast-check';
import { parentPort, workerData } from 'node:worker_threads';
import { minimize } from './minimize.js';
import { MAX_MUTATED_BYTES, MUTATION_OPS, applyMutations, type Mutation } from './mutations.js';
import {
  CHUNKINGS,
  describeOutcome,
  describeThrown,
  feature,
  judge,
  outcomeLabel,
  type Chunking,
  type Verdict,
} from './oracle.js';
import { WATCH_SLOTS, type FuzzSeed, type WorkerMessage, type WorkerSetup } from './campaign.js';

export interface Plan {
  seed: number;
  mutations: Mutation[];
  chunking: Chunking;
}

const setup = workerData as WorkerSetup;
const post = (message: WorkerMessage): void => parentPort!.postMessage(message);
const watch = new Int32Array(setup.shared, 0, WATCH_SLOTS);
const watchedInput = new Uint8Array(setup.shared, WATCH_SLOTS * 4);

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom(...MUTATION_OPS),
  // Where: unbiased, or the start of the stream would get most of the edits.
  a: fc.noBias(fc.nat()),
  // What and how much: small values first, which pick the edge cases.
  b: fc.nat(),
  c: fc.nat(),
});

const planArb: fc.Arbitrary<Plan> = fc.record({
  seed: fc.noBias(fc.nat()),
  mutations: fc.array(mutationArb, { maxLength: 6 }),
  chunking: fc.record({
    mode: fc.oneof(
      ...CHUNKINGS.map((mode) => ({ arbitrary: fc.constant(mode), weight: mode === 'bytes1' ? 1 : 3 })),
    ),
    seed: fc.nat(),
  }),
});

const revive = (inputs: FuzzSeed[]): FuzzSeed[] =>
  inputs.map((input) => ({ ...input, bytes: Buffer.from(input.bytes) }));
const seeds = revive(setup.seeds);
const corpus = revive(setup.corpus);
const donors = seeds.map((seed) => seed.bytes);
const ROUND_RUNS = 250;
const knownFeatures = new Set<string>();
const knownProblems = new Set<string>();

let tried = 0;
let slowest: { ms: number; bytes: number; input: Buffer; outcome: string } = {
  ms: -1,
  bytes: 0,
  input: Buffer.alloc(0),
  outcome: '',
};
let peakBufferedBytes = 0;
const outcomes: Record<string, number> = {};

function inputOf(plan: Plan): Buffer {
  // Half the inputs start from a real stream: the corpus files are many, but small and broken already.
  const pool = corpus.length > 0 && plan.seed % 2 === 1 ? corpus : seeds;
  return applyMutations(pool[(plan.seed >>> 1) % pool.length].bytes, plan.mutations, { donors });
}

/** Judges `input`, with the watchdog told what is being judged. */
function judgeWatched(input: Buffer, chunking: Chunking): Verdict {
  watchedInput.set(input.subarray(0, MAX_MUTATED_BYTES));
  Atomics.store(watch, 1, input.length);
  Atomics.store(watch, 2, CHUNKINGS.indexOf(chunking.mode));
  Atomics.store(watch, 3, chunking.seed);
  const verdict = judge(input, chunking);
  Atomics.add(watch, 0, 1);
  return verdict;
}

/** A problem's kind, numbers taken out: the same bug found again is not reported again. */
function problemSignature(problem: string): string {
  return problem.replace(/\d+/g, 'N');
}

function sampleMemory(): void {
  const { rss, heapUsed } = process.memoryUsage();
  post({ kind: 'memory', rssBytes: rss, heapBytes: heapUsed });
}

function check(plan: Plan): boolean {
  tried++;
  if (tried % 200 === 0) sampleMemory();
  const input = inputOf(plan);
  const verdict = judgeWatched(input, plan.chunking);
  peakBufferedBytes = Math.max(peakBufferedBytes, verdict.peakBufferedBytes);
  if (verdict.problem !== null) return knownProblems.has(problemSignature(verdict.problem));
  const outcome = verdict.outcome!;
  const name = outcome.kind === 'ok' ? 'ok' : outcome.code;
  outcomes[name] = (outcomes[name] ?? 0) + 1;
  if (verdict.ms > slowest.ms)
    slowest = { ms: verdict.ms, bytes: input.length, input, outcome: describeOutcome(outcome) };
  const found = feature(outcome);
  if (!knownFeatures.has(found)) {
    knownFeatures.add(found);
    const keeps = (candidate: Buffer): boolean => {
      const again = judgeWatched(candidate, { mode: 'whole', seed: 0 });
      return again.problem === null && again.outcome !== null && feature(again.outcome) === found;
    };
    const small = setup.minimize ? minimize(input, keeps) : input;
    const smallOutcome = judge(small, { mode: 'whole', seed: 0 }).outcome!;
    post({ kind: 'feature', feature: found, label: outcomeLabel(smallOutcome), input: small });
  }
  return true;
}

function reportProblem(plan: Plan): void {
  let input: Buffer;
  try {
    input = inputOf(plan);
  } catch (error) {
    post({
      kind: 'problem',
      problem: `the mutation engine failed: ${describeThrown(error)}`,
      input: Buffer.alloc(0),
      plan: JSON.stringify(plan),
    });
    return;
  }
  const verdict = judgeWatched(input, plan.chunking);
  const problem = verdict.problem ?? 'the property failed, then passed when run again';
  knownProblems.add(problemSignature(problem));
  const keeps = (candidate: Buffer): boolean => {
    const again = judgeWatched(candidate, plan.chunking);
    return again.problem !== null && problemSignature(again.problem) === problemSignature(problem);
  };
  const small = setup.minimize ? minimize(input, keeps) : input;
  post({ kind: 'problem', problem, input: small, plan: JSON.stringify(plan) });
}

function main(): void {
  for (const seed of [...seeds, ...corpus]) {
    const verdict = judgeWatched(seed.bytes, { mode: 'whole', seed: 0 });
    if (verdict.outcome) knownFeatures.add(feature(verdict.outcome));
    if (verdict.problem)
      post({ kind: 'problem', problem: `${seed.name}: ${verdict.problem}`, input: seed.bytes, plan: '' });
  }
  const deadline = setup.seconds === null ? Infinity : Date.now() + setup.seconds * 1000;
  const property: fc.IProperty<[Plan]> = fc.property(planArb, check);
  // Rounds of a few hundred runs, each with its own seed, so that the deadline is checked between them.
  for (let round = 0; (setup.inputs === null || tried < setup.inputs) && Date.now() < deadline; round++) {
    const details = fc.check(property, {
      seed: (setup.seed + round) | 0,
      numRuns: Math.min(ROUND_RUNS, (setup.inputs ?? Infinity) - tried),
    });
    if (!details.failed) continue;
    if (details.counterexample === null) {
      post({
        kind: 'problem',
        problem: `fast-check stopped: ${String(details.errorInstance)}`,
        input: Buffer.alloc(0),
        plan: '',
      });
      break;
    }
    reportProblem(details.counterexample[0]);
  }
  sampleMemory();
  post({
    kind: 'done',
    tried,
    outcomes,
    peakBufferedBytes,
    slowest: { ms: slowest.ms, bytes: slowest.bytes, input: slowest.input, outcome: slowest.outcome },
  });
}

main();
