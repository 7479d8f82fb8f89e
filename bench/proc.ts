/**
 * What Linux says about a process and the machine: CPU time from /proc/PID/stat, memory from
 * /proc/PID/status, busy time of all cores from /proc/stat, and the facts the report starts with.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

const CLOCK_TICKS_PER_SEC = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) the process has used so far. */
export function cpuSec(pid: number): number {
  const { userSec, systemSec } = cpuSplitSec(pid);
  return userSec + systemSec;
}

/** The same, split: in user space (JS, Node's C++) and in the kernel on its behalf (system calls). */
export function cpuSplitSec(pid: number): { userSec: number; systemSec: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), counted from field 3 (state).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    userSec: Number(fields[11]) / CLOCK_TICKS_PER_SEC,
    systemSec: Number(fields[12]) / CLOCK_TICKS_PER_SEC,
  };
}

/** CPU seconds used so far by every process and kernel thread, by PID, with its name. */
export function allProcessesCpuSec(): Map<number, { name: string; sec: number }> {
  const all = new Map<number, { name: string; sec: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      all.set(Number(entry), { name, sec: cpuSec(Number(entry)) });
    } catch {
      // it exited meanwhile
    }
  }
  return all;
}

/**
 * The kernel's TCP counters that show a listen backlog too short for a burst of connections (machine-wide,
 * from /proc/net/netstat): connections dropped at the listen queue, and retransmission timeouts (a dropped
 * SYN is sent again after 1 s, then 3 s, 7 s…).
 */
export function tcpCounters(): { listenDrops: number; listenOverflows: number; timeouts: number } {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const at = lines.findIndex((line) => line.startsWith('TcpExt:'));
  const names = lines[at].split(/\s+/);
  const values = lines[at + 1].split(/\s+/).map(Number);
  const get = (name: string): number => values[names.indexOf(name)] ?? NaN;
  return {
    listenDrops: get('ListenDrops'),
    listenOverflows: get('ListenOverflows'),
    timeouts: get('TCPTimeouts'),
  };
}

/** Resident memory now and its peak, in MB (10^6 bytes). */
export function memoryMb(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: (kb('VmRSS') * 1024) / 1e6, peakMb: (kb('VmHWM') * 1024) / 1e6 };
}

/**
 * Time all cores spent, in seconds: busy in processes (user, nice, system), in interrupts (irq and softirq:
 * on loopback, most of TCP's receive work runs there, charged to no process), and stolen by the hypervisor.
 */
export function machineCpuSec(): { processSec: number; interruptSec: number; stealSec: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return {
    processSec: (user + nice + system) / CLOCK_TICKS_PER_SEC,
    interruptSec: (irq + softirq) / CLOCK_TICKS_PER_SEC,
    stealSec: steal / CLOCK_TICKS_PER_SEC,
  };
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  kernel: string;
  node: string;
  ffmpeg: string;
  somaxconn: number;
  synBacklog: number;
  openFilesLimit: string;
}

function readNumber(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8').trim());
  } catch {
    return NaN;
  }
}

export function machineInfo(ffmpeg: string): MachineInfo {
  let ffmpegVersion = 'unknown';
  try {
    ffmpegVersion = execFileSync(ffmpeg, ['-hide_banner', '-version'], { encoding: 'utf8' })
      .split('\n')[0]
      .replace(/ Copyright.*$/, '');
  } catch {
    // reported as unknown
  }
  let openFiles = 'unknown';
  try {
    openFiles = execFileSync('sh', ['-c', 'echo "$(ulimit -Sn) soft / $(ulimit -Hn) hard"'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    // reported as unknown
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 1e9),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    ffmpeg: ffmpegVersion,
    somaxconn: readNumber('/proc/sys/net/core/somaxconn'),
    synBacklog: readNumber('/proc/sys/net/ipv4/tcp_max_syn_backlog'),
    openFilesLimit: openFiles,
  };
}
