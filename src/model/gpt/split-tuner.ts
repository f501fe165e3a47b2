/**
 * Which of a generation step's two thread policies (decode-step.ts) runs the next step, chosen by
 * timing them while generating — the bytes are the same either way (every split kernel gives the
 * same bytes for any split), only the speed differs, and which one is faster depends on the machine
 * and its load, not just on the shapes:
 *   coarse: cut an op of the step's program into chunks only when every chunk is ≥ SPLIT_MIN_MACS
 *     (at batch 1 and 1k context nothing is cut: the step runs on the calling thread alone);
 *   fine:   cut into 2 chunks per thread of ≥ PROGRAM_SPLIT_MIN_MACS, with the workers kept spinning
 *     between steps (Engine.setWorkerSpin) and at the program's waits, so that at batch 1 the second
 *     core's memory bandwidth serves every large op of the step. On a busy machine (more runnable
 *     threads than cores) a worker sharing its core finishes its chunks late and the calling thread
 *     waits for them: there the coarse policy is faster.
 *
 * Schedule: run the current policy (coarse at first) for `period` steps, then probe the other one
 * for PROBE steps; each side's time is the mean of its last PROBE − 1 steps (the first probe step
 * pays the switch; a mean, not the fastest step, so that a policy with rare long steps loses). Switch when
 * the probe was faster by more than 3 %. A probe that lost by more than 25 % doubles the period (up
 * to MAX_PERIOD); any other outcome resets it to MIN_PERIOD. A probe step slower than twice the
 * current policy's time ends the probe at once (lost), and after GIVE_UP such losses in a row the
 * decoder stays with the coarse policy: where the threads do not get two cores at once (more
 * runnable threads than cores), a fine step can take tens of milliseconds, so the tuner pays for at
 * most a few of them.
 */
import type { Engine } from "../../engine/engine.js";

/** How long the pool's threads spin under the fine policy (µs): longer than the JavaScript between a step's calls and between steps. */
export const FINE_WORKER_SPIN = 200;
const PROBE = 4;
const FIRST_PERIOD = 8;
const MIN_PERIOD = 32;
const MAX_PERIOD = 1024;
const GIVE_UP = 3;

export class SplitTuner {
  /** The policy of the next step (true = fine). */
  fine = false;
  private current = false;
  private period = FIRST_PERIOD;
  /** Steps left in the current phase (running `current`, or probing `!current`). */
  private left = FIRST_PERIOD;
  private probing = false;
  private readonly recent: number[] = [];
  private readonly probe: number[] = [];
  private losses = 0;

  constructor(private readonly engine: Engine) {}

  /** Records the last step's wall time (ms) and sets `fine` for the next one. */
  record(ms: number): void {
    if (this.losses >= GIVE_UP) return;
    const into = this.probing ? this.probe : this.recent;
    into.push(ms);
    if (into.length > PROBE - 1) into.shift();
    const mine = mean(this.recent);
    if (this.probing && ms > 2 * mine) return this.endProbe(Infinity, mine);
    if (--this.left > 0) return;
    if (!this.probing) {
      this.probing = true;
      this.probe.length = 0;
      this.left = PROBE;
      this.use(!this.current);
      return;
    }
    this.endProbe(mean(this.probe), mine);
  }

  private endProbe(theirs: number, mine: number): void {
    if (theirs < 0.97 * mine) {
      this.current = !this.current;
      this.recent.splice(0, this.recent.length, ...this.probe);
      this.period = MIN_PERIOD;
      this.losses = 0;
    } else if (theirs > 1.25 * mine) {
      this.period = Math.min(2 * this.period, MAX_PERIOD);
      // a fine probe that lost badly GIVE_UP times in a row: coarse for good (`record` stops)
      if (!this.current && theirs > 2 * mine) this.losses++;
    } else {
      this.period = MIN_PERIOD;
      this.losses = 0;
    }
    this.probing = false;
    this.left = this.period;
    this.use(this.current);
  }

  private use(fine: boolean): void {
    if (fine !== this.fine) this.engine.setWorkerSpin?.(fine ? FINE_WORKER_SPIN : 0);
    this.fine = fine;
  }
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}
