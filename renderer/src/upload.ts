import type { UploadInfo } from '../../server/api.js';

/** The share of the budget at which the window warns (issue 13). */
export const UPLOAD_WARNING_SHARE = 0.8;

/** What the window says about the upload: the total, and a warning near the budget. */
export interface UploadView {
  /** `12.4 Mbit/s for 5 copies (budget 20 Mbit/s)`. */
  summary: string;
  /** Set at ≥ 80% of the budget: how close, and what to do (a relay). */
  warning: string | null;
}

/** Pure: the upload line and, at or above 80% of a budget, the warning that suggests a relay. */
export function uploadView(upload: UploadInfo): UploadView {
  const mbit = upload.mbitPerSec.toFixed(1);
  const copies = `${upload.copies} ${upload.copies === 1 ? 'copy' : 'copies'}`;
  const max = upload.maxMbitPerSec;
  const summary = `${mbit} Mbit/s out for ${copies}${max === null ? '' : ` (budget ${max} Mbit/s)`}`;
  if (max === null || max <= 0 || upload.mbitPerSec < UPLOAD_WARNING_SHARE * max) {
    return { summary, warning: null };
  }
  const share = Math.round((upload.mbitPerSec / max) * 100);
  return {
    summary,
    warning:
      `Upload at ${share}% of the ${max} Mbit/s budget: new viewers will be turned away. ` +
      'Push one copy to a relay (an Icecast server) and send viewers its link instead.',
  };
}
