import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU accounting for the benches, from Linux's /proc (docs/benchmarks.md, "CPU per request"): the time
 * charged to the workerd process(es) this Node process started, and the whole machine's idle share.
 * Elsewhere (no /proc) every reading is null and the benches print "-".
 */

let ticksPerSecond: number | null = null;

/** `getconf CLK_TCK`: the unit of /proc's utime and stime (100 on Linux almost everywhere). */
function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The workerd processes whose parent is this Node process (Miniflare spawns workerd directly). */
export function workerdPids(parent = process.pid): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      // Field 4 of stat is the parent pid; after the command name it is index 1.
      if (comm === 'workerd' && Number(statFields(pid)?.[1]) === parent) pids.push(pid);
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** User + system CPU milliseconds charged so far to `pids` (fields 14 and 15 of /proc/<pid>/stat). */
export function processCpuMs(pids: readonly number[]): number | null {
  if (pids.length === 0) return null;
  let ticks = 0;
  for (const pid of pids) {
    const f = statFields(pid);
    if (f === null) return null;
    // utime and stime are fields 14 and 15; after the command name they are indices 11 and 12.
    ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks * 1000) / clockTicks();
}

/** A CPU meter over the workerd processes of this Node process, read around each timed window. */
export interface CpuMeter {
  /** Starts a window; `stop()` answers the CPU ms charged to workerd in it (null without /proc). */
  start(): { stop(): number | null };
}

export function workerdCpuMeter(): CpuMeter {
  const pids = workerdPids();
  return {
    start() {
      const from = processCpuMs(pids);
      return {
        stop() {
          const to = processCpuMs(pids);
          return from === null || to === null ? null : to - from;
        },
      };
    },
  };
}

interface CpuTimes {
  idle: number;
  total: number;
}

function machineTimes(): CpuTimes | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user and nice).
    const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { idle, total };
  } catch {
    return null;
  }
}

/** The whole machine's idle share (idle + iowait, all cores) over a window; null without /proc. */
export function machineIdle(): { stop(): number | null } {
  const from = machineTimes();
  return {
    stop() {
      const to = machineTimes();
      if (from === null || to === null || to.total === from.total) return null;
      return (to.idle - from.idle) / (to.total - from.total);
    },
  };
}
