/** What the error dialog says when the app cannot start: what failed, and what to do. */

const DEFAULT_FIX =
  'Start mkvcast again. If it fails again, start it from a terminal (`mkvcast`) to see its log, and report the problem with that log.';

export function startupFailure(error: unknown): { title: string; content: string } {
  const e = error as { message?: unknown; fix?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const fix = typeof e?.fix === 'string' && e.fix ? e.fix : DEFAULT_FIX;
  return { title: 'mkvcast could not start', content: `${message}\n\n${fix}` };
}
