/**
 * Reads a V8 CPU profile (`node --cpu-prof`) into the functions that took the most time, for the report's
 * "where mkvcast's time goes": self time (in the function itself; a native call such as `writev` includes
 * its system call) and total time (with everything it called).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface ProfileEntry {
  name: string;
  where: string;
  /** Shares of the samples in which the process was not idle, in %. */
  selfPct: number;
  totalPct: number;
  /** The same in CPU seconds (samples × the mean sampling interval). */
  selfSec: number;
  totalSec: number;
}

export interface ProfileSummary {
  file: string;
  /** Share of samples not idle, in %. */
  busyPct: number;
  /** Seconds the profile covers, and how many of them the process was busy. */
  wallSec: number;
  busySec: number;
  /** The functions with the most self time. */
  bySelf: ProfileEntry[];
  /** mkvcast's own functions (server/) with the most total time. */
  serverByTotal: ProfileEntry[];
}

function where(url: string, line: number, root: string): string {
  if (!url) return '';
  const local = url.replace(/^file:\/\//, '');
  const shown = local.startsWith(root) ? path.relative(root, local) : local;
  return `${shown}:${line + 1}`;
}

/** The newest .cpuprofile in `dir`, summarised. */
export async function summariseProfile(dir: string, root: string, count = 15): Promise<ProfileSummary> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  const file = path.join(dir, files[files.length - 1]);
  const profile = JSON.parse(await readFile(file, 'utf8')) as {
    nodes: ProfileNode[];
    startTime: number;
    endTime: number;
    samples: number[];
  };
  const wallSec = (profile.endTime - profile.startTime) / 1e6;
  const secPerSample = wallSec / Math.max(1, profile.samples.length);
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const childIds = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  const functions = new Map<string, { name: string; where: string; self: number; total: number }>();
  let idle = 0;
  let all = 0;

  const keyOf = (node: ProfileNode): string => {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName} ${url}:${lineNumber}`;
    if (!functions.has(key)) {
      functions.set(key, {
        name: functionName || '(anonymous)',
        where: where(url, lineNumber, root),
        self: 0,
        total: 0,
      });
    }
    return key;
  };
  // Total time: each sample counts once for every distinct function on its stack (recursion counted once).
  const walk = (node: ProfileNode, onStack: Set<string>): number => {
    const hits = node.hitCount ?? 0;
    all += hits;
    if (node.callFrame.functionName === '(idle)') {
      idle += hits;
      return 0;
    }
    const key = keyOf(node);
    const entry = functions.get(key)!;
    entry.self += hits;
    const fresh = !onStack.has(key);
    if (fresh) onStack.add(key);
    let total = hits;
    for (const id of node.children ?? []) total += walk(nodes.get(id)!, onStack);
    if (fresh) {
      onStack.delete(key);
      entry.total += total;
    }
    return total;
  };
  for (const node of profile.nodes) if (!childIds.has(node.id)) walk(node, new Set());

  const busy = Math.max(1, all - idle);
  const entries = [...functions.values()]
    .filter((e) => e.name !== '(root)')
    .map((e) => ({
      name: e.name,
      where: e.where,
      selfPct: (e.self / busy) * 100,
      totalPct: (e.total / busy) * 100,
      selfSec: e.self * secPerSample,
      totalSec: e.total * secPerSample,
    }));
  return {
    file,
    busyPct: (busy / Math.max(1, all)) * 100,
    wallSec,
    busySec: busy * secPerSample,
    bySelf: [...entries].sort((a, b) => b.selfPct - a.selfPct).slice(0, count),
    serverByTotal: entries
      .filter((e) => e.where.startsWith('dist/server/'))
      .sort((a, b) => b.totalPct - a.totalPct)
      .slice(0, count),
  };
}
