/** When to start a failed encoder again, and when to give up. */

export interface RestartPolicyOptions {
  /** Waits before restarts after the 1st, 2nd, … failure in a row (the last one repeats). */
  backoffMs: readonly number[];
  /** Failures in a row, without a picture in between, before giving up. */
  maxFailures: number;
}

export type RestartDecision = { giveUp: true } | { giveUp: false; attempt: number; delayMs: number };

/**
 * Counts encoder failures in a row. A run that served a picture before it failed ends the row: it
 * worked, so whatever stopped it (an OOM kill, a user's `kill`, a hung driver) is met with a quick
 * restart however often it happens. Runs that fail before their first picture are what a broken setup
 * looks like: those back off, and after `maxFailures` of them in a row the policy gives up.
 */
export class RestartPolicy {
  private inARow = 0;

  constructor(private readonly options: RestartPolicyOptions) {}

  /** A run ended unexpectedly; `servedPicture` when it had published at least one cluster. */
  onFailure(servedPicture: boolean): RestartDecision {
    this.inARow = servedPicture ? 1 : this.inARow + 1;
    if (this.inARow >= this.options.maxFailures) return { giveUp: true };
    const { backoffMs } = this.options;
    const delayMs = backoffMs.length === 0 ? 0 : backoffMs[Math.min(this.inARow, backoffMs.length) - 1];
    return { giveUp: false, attempt: this.inARow, delayMs };
  }
}
