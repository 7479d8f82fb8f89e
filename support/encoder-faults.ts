/**
 * Faults done to a live SharingSession's encoder from outside, as an OOM killer or a hung GPU driver
 * would, and the time the session takes to serve a picture again. Used by test/faults.test.ts and
 * bench/faults.ts.
 */
import { readFileSync } from 'node:fs';
import type { SessionState } from '../server/api.js';
import type { SharingSession } from '../server/session/session.js';
import { childPids, isAlive, waitFor } from './processes.js';

export interface Recovery {
  /** The encoder that was signalled. */
  pid: number;
  /** The encoder that replaced it. */
  newPid: number;
  /** From the signal to the session being live again (its first new cluster published). */
  recoveryMs: number;
  /** The states the session went through, from the signal to live. */
  states: SessionState[];
}

/**
 * Sends `signal` to the session's ffmpeg and waits (up to `timeoutMs`) until the session is live again
 * with another ffmpeg. SIGKILL: the encoder dies; SIGSTOP: it hangs, until the watchdog kills it.
 */
export async function breakEncoder(
  session: SharingSession,
  signal: 'SIGKILL' | 'SIGSTOP',
  timeoutMs = 30_000,
): Promise<Recovery> {
  const pid = session.ffmpegPid;
  if (pid === null || session.state.kind !== 'live') throw new Error('the session is not live');
  const states: SessionState[] = [];
  let liveMs = 0;
  const onState = (state: SessionState): void => {
    states.push(state);
    if (state.kind === 'live' && liveMs === 0) liveMs = performance.now();
  };
  session.on('state', onState);
  try {
    const sentMs = performance.now();
    process.kill(pid, signal);
    await waitFor(
      `the session live again after ${signal}`,
      () => liveMs > 0 || session.state.kind === 'error',
      { timeoutMs, intervalMs: 20 },
    );
    const state = session.state as SessionState; // read again: it changed during the wait
    if (state.kind === 'error')
      throw new Error(`the session gave up after ${signal}: ${state.error.message}`);
    const newPid = session.ffmpegPid;
    if (newPid === null || newPid === pid) throw new Error(`no new encoder after ${signal}`);
    return { pid, newPid, recoveryMs: liveMs - sentMs, states };
  } finally {
    session.off('state', onState);
  }
}

/** The state letter of a process (R, S, T for stopped, Z for zombie, …), or null when it is gone. */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/** This process's children that are ffmpeg and alive, with their state letter. */
export function ffmpegChildren(): { pid: number; state: string }[] {
  return childPids(process.pid)
    .filter((pid) => isAlive(pid))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'ffmpeg';
      } catch {
        return false;
      }
    })
    .map((pid) => ({ pid, state: processState(pid) ?? '?' }));
}
