/**
 * Shrinks a fuzz input while it keeps what made it interesting (the same error, the same crash), so that
 * the committed corpus stays small and each file shows its point: a tail cut off, whole elements removed,
 * then the data of large leaves (frames, CodecPrivate, Void) cut to a few bytes. Test support only.
 */
import { applyMutation, parseTree, withDataCut } from './mutations.js';

/** Smallest input found within `budget` calls of `keeps` (which must hold for `input` itself). */
export function minimize(input: Buffer, keeps: (candidate: Buffer) => boolean, budget = 400): Buffer {
  let best = input;
  let calls = 0;
  const attempt = (candidate: Buffer): boolean => {
    if (calls >= budget || candidate.length >= best.length) return false;
    calls++;
    if (!keeps(candidate)) return false;
    best = candidate;
    return true;
  };

  // The shortest prefix that still does it, by bisection (the property need not be monotonic: a guide).
  let low = 0;
  let high = best.length;
  while (low + 1 < high && calls < budget) {
    const middle = Math.floor((low + high) / 2);
    if (attempt(best.subarray(0, middle))) high = middle;
    else low = middle;
  }

  // Whole elements, the largest first; the list is read again after each success (offsets moved).
  for (let changed = true; changed && calls < budget;) {
    changed = false;
    const nodes = parseTree(best)
      .map((node, index) => ({ node, index }))
      .sort((x, y) => y.node.end - y.node.start - (x.node.end - x.node.start));
    for (const { index } of nodes) {
      if (attempt(applyMutation(best, { op: 'removeElement', a: index, b: 0, c: 0 }, { donors: [] }))) {
        changed = true;
        break;
      }
      if (calls >= budget) break;
    }
  }

  // Large leaves down to 8 bytes of data, one at a time.
  for (let changed = true; changed && calls < budget;) {
    changed = false;
    for (const node of parseTree(best)) {
      if (node.children.length > 0 || node.end - node.dataStart <= 8) continue;
      if (attempt(withDataCut(best, node, 8))) {
        changed = true;
        break;
      }
      if (calls >= budget) break;
    }
  }
  return best;
}
