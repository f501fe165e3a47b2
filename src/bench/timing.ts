/**
 * Timing under contention: the machine is shared, and interference only ever slows a run down, so
 * the best of many short runs estimates the unloaded speed; the median is reported beside it.
 */
import { ExtraposError } from "../pe/errors.js";

export interface Timing {
  /** Fastest run (ms). */
  bestMs: number;
  /** Median run (ms). */
  medianMs: number;
  runs: number;
  /** CPU time of the whole process (all threads, spin-waits included) over the timed runs (ms). */
  cpuMs: number;
}

/** Runs `fn` `warmup` times, then `runs` times; returns the best and median wall-clock durations. */
export function timeRuns(fn: () => void, runs: number, warmup = 2): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  const bestMs = times[0], medianMs = times[Math.floor(times.length / 2)];
  if (bestMs === undefined || medianMs === undefined) throw new ExtraposError("invalid_argument", `timeRuns: \`runs\` must be at least 1, got ${runs}`);
  return { bestMs, medianMs, runs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Rounds to 3 significant digits for printing. */
export function round3(x: number): number {
  return Number(x.toPrecision(3));
}
