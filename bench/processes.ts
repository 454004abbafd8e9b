/**
 * What the whole-process benchmarks share: where the repository and the CLI are, timing one
 * process, medians.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, from lib/bench/ (compiled) or bench/ (source). */
export const repo = path.resolve(here, here.includes(`${path.sep}lib${path.sep}`) ? '../..' : '..');
/**
 * The CLI as npm installs it. FW_BENCH_BIN measures another checkout's bin/fintechweekly.js instead
 * (the code before a change, say) against the same baselines, in the same run.
 */
export const bin = process.env.FW_BENCH_BIN ? path.resolve(process.env.FW_BENCH_BIN) : path.join(repo, 'bin/fintechweekly.js');

/** Wall-clock seconds of one `node ARGS` process; it must exit 0. */
export function timeProcess(args: string[], cwd: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: cwd, NO_COLOR: '1' } });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  return seconds;
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

export const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Watches a running process's peak RSS (VmHWM) and CPU time (utime + stime) in /proc every 20 ms;
 * `stop()` ends the watch and returns what it saw (the last sample is at most 20 ms before the end).
 */
export function watchProcess(child: ChildProcess): { stop(): { peakRssMb: number; cpuSeconds: number } } {
  let peakKb = 0;
  let cpuTicks = 0;
  const poll = setInterval(() => {
    try {
      const match = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (match) peakKb = Math.max(peakKb, Number(match[1]));
      // utime and stime, fields 14 and 15 of /proc/PID/stat (after the command name in parentheses)
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      cpuTicks = Math.max(cpuTicks, Number(fields[11]) + Number(fields[12]));
    } catch {
      // the process has exited
    }
  }, 20);
  return {
    stop: () => {
      clearInterval(poll);
      // Clock ticks are 1/100 s on Linux.
      return { peakRssMb: Math.round(peakKb / 102.4) / 10, cpuSeconds: cpuTicks / 100 };
    },
  };
}
