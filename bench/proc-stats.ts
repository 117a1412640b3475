/** CPU time and resident memory of another process, read from /proc (Linux only). */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync, type ChildProcess } from 'node:child_process';

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time of the process in microseconds: the sum of its threads' schedstat run times
 * (nanosecond resolution), or utime + stime from /proc/<pid>/stat (10 ms ticks) where the
 * kernel has no schedstat. A few hundred messages cost only a few ticks, hence schedstat first.
 */
export function cpuMicros(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => sum + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1000, 0);
  } catch {
    return statCpuMicros(pid);
  }
}

/** utime + stime of the process, in microseconds (resolution: one clock tick, usually 10 ms). */
export function statCpuMicros(pid: number): number {
  const { user, system } = cpuSplitMicros(pid);
  return user + system;
}

/** utime and stime of the process apart (user space vs kernel), in microseconds, at clock-tick resolution. */
export function cpuSplitMicros(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; everything after its closing parenthesis is space separated.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(fields[11]) / ticksPerSecond) * 1e6, system: (Number(fields[12]) / ticksPerSecond) * 1e6 };
}

/** VmRSS of the process in kilobytes. */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
}

/** VmHWM: the most resident memory the process has had, in kilobytes. */
export function peakRssKb(pid: number): number {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmHWM for process ${pid}`);
  return Number(match[1]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `done()` is true; throws with `what` after the timeout. */
export async function until(done: () => boolean, timeoutMs: number, what: () => string, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(everyMs);
  }
}

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs`; resolves on exit. */
export async function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}
