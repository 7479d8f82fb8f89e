import { WebRtcError } from './errors.js';

/** UDP ports for WebRTC, both ends included. */
export type PortRange = readonly [number, number];

export const PORT_RANGE_TEXT = 'two ports from 1024 to 65535, low-high, e.g. 40000-40100';

/** Why `text` is not a port range (`A-B`), or null when it is one (or empty: any free port). */
export function portRangeProblem(text: string): string | null {
  if (text === '') return null;
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  if (!match) return `WebRTC ports must be ${PORT_RANGE_TEXT}; got "${text}".`;
  const low = Number(match[1]);
  const high = Number(match[2]);
  if (low < 1024 || high > 65535) {
    return `WebRTC ports must be two ports from 1024 to 65535 (lower ones need root); got "${text}".`;
  }
  if (low > high) return `WebRTC ports must be two ports low first: write ${high}-${low}, not ${text}.`;
  return null;
}

/** How many ports `A-B` holds (both ends); null for '' (any free port) or a bad range. */
export function portRangeSize(text: string): number | null {
  if (text === '' || portRangeProblem(text) !== null) return null;
  const [low, high] = text.split('-').map(Number);
  return high - low + 1;
}

/** `A-B` → [A, B]; '' → null (any free port). Throws BAD_PORT_RANGE. */
export function parsePortRange(text: string): PortRange | null {
  const problem = portRangeProblem(text);
  if (problem)
    throw new WebRtcError(
      'BAD_PORT_RANGE',
      problem,
      'Use --webrtc-ports 40000-40100 (any two ports, low first).',
    );
  if (text === '') return null;
  const [low, high] = text.split('-').map(Number);
  return [low, high];
}
