/**
 * Messages between bench/run.ts and the processes it forks (feeder, pump, viewers), over the fork IPC
 * channel (JSON). Times are `process.hrtime.bigint()` values as Numbers of nanoseconds: the monotonic clock
 * every process on the machine shares, exact to the nanosecond for the first 104 days of uptime.
 */

/** Per Cluster key: how many viewers got it, the first and the last arrival (ns). */
export type Arrival = [key: string, count: number, firstNs: number, lastNs: number];

export type ToViewers =
  | { type: 'connect'; host: string; port: number; path: string; count: number; deadlineMs: number }
  | { type: 'window-start'; recordArrivals: boolean }
  | { type: 'window-end' };

export type FromViewers =
  | {
      type: 'connected';
      /** Per viewer, ms from its connect() to the first byte of the first Cluster (null: none came). */
      firstClusterMs: (number | null)[];
      errors: string[];
    }
  | {
      type: 'window';
      /** How long the window lasted in this process, from its own clock. */
      durationMs: number;
      /** Bytes each viewer received during the window. */
      bytes: number[];
      /** Viewers that closed before the window ended. */
      closed: number;
      arrivals: Arrival[];
    };

/** Per Cluster written: its key, when the write returned (ns), bytes written so far, ms behind schedule. */
export type FeederEntry = [key: string, ns: number, totalBytes: number, lateMs: number, keyframe: boolean];

export type ToFeeder = { type: 'go' } | { type: 'log' };
export type FromFeeder = { type: 'log'; entries: FeederEntry[] };

export type ToPump = { type: 'status' };
export type FromPump =
  | { type: 'listening'; port: number }
  | {
      type: 'status';
      viewers: number;
      /** Time from a cluster being read to the end of the loop that wrote it to every socket. */
      fanout: { p50Ms: number; p99Ms: number };
      /** The most bytes Node held for one socket (written but not yet taken by the kernel). */
      maxQueuedBytes: number;
    };
