/**
 * Learning-rate schedule: linear warmup, then cosine decay to a floor (nanoGPT's `get_lr`,
 * karpathy/nanoGPT train.py, master since 2024):
 *
 *   step < warmupSteps:            lr = maxLr · (step + 1) / (warmupSteps + 1)
 *   step > decaySteps:             lr = minLr
 *   otherwise, r = (step − warmupSteps) / (decaySteps − warmupSteps) ∈ [0, 1]:
 *                                  lr = minLr + ½ (1 + cos(π r)) · (maxLr − minLr)
 *
 * `step` counts optimizer steps from 0. The warmup never gives lr = 0 (step 0 gets maxLr/(W+1)) and
 * reaches maxLr exactly at step = warmupSteps; the cosine ends at minLr at step = decaySteps (usually
 * the total number of steps). Differences from nanoGPT: none in the formula; nanoGPT's
 * `decay_lr=False` (constant lr) is `minLr = maxLr, warmupSteps = 0` here.
 *
 * Example: `learningRate(DEFAULT_LR_SCHEDULE, 0)` → 1e-3 / 101
 */
import { ExtraposError, invalid, show } from "../pe/errors.js";

export interface LrSchedule {
  /** Peak learning rate, reached at the end of warmup (e.g. 1e-3 for tiny models). */
  maxLr: number;
  /** Floor reached at `decaySteps` and kept after it (e.g. maxLr / 10). */
  minLr: number;
  /** Linear warmup length in optimizer steps (e.g. 100); 0 = no warmup. */
  warmupSteps: number;
  /** Step at which the cosine reaches `minLr` (e.g. the total number of steps); ≥ warmupSteps. */
  decaySteps: number;
}

export const DEFAULT_LR_SCHEDULE: LrSchedule = { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 100, decaySteps: 5000 };

const KEYS = Object.keys(DEFAULT_LR_SCHEDULE) as (keyof LrSchedule)[];

/**
 * Validates a schedule (unknown keys refused; missing keys take the defaults).
 *
 * Example: `parseLrSchedule({ maxLr: 3e-4, decaySteps: 2000 })`
 */
export function parseLrSchedule(x: unknown): LrSchedule {
  if (typeof x !== "object" || x === null || Array.isArray(x)) throw invalid(`\`lr_schedule\` must be an object, got ${show(x)}`);
  for (const k of Object.keys(x)) {
    if (!(KEYS as string[]).includes(k)) throw new ExtraposError("invalid_config", `unknown key \`lr_schedule.${k}\``, `known keys: ${KEYS.join(", ")}`);
  }
  const s = { ...DEFAULT_LR_SCHEDULE, ...(x as Partial<LrSchedule>) };
  if (!(typeof s.maxLr === "number" && Number.isFinite(s.maxLr) && s.maxLr > 0)) throw invalid(`\`lr_schedule.maxLr\` must be a finite number > 0, got ${show(s.maxLr)}`);
  if (!(typeof s.minLr === "number" && Number.isFinite(s.minLr) && s.minLr >= 0 && s.minLr <= s.maxLr)) {
    throw invalid(`\`lr_schedule.minLr\` must be a finite number in [0, maxLr = ${s.maxLr}], got ${show(s.minLr)}`);
  }
  if (!(Number.isInteger(s.warmupSteps) && s.warmupSteps >= 0)) throw invalid(`\`lr_schedule.warmupSteps\` must be an integer ≥ 0, got ${show(s.warmupSteps)}`);
  if (!(Number.isInteger(s.decaySteps) && s.decaySteps >= s.warmupSteps)) {
    throw invalid(`\`lr_schedule.decaySteps\` must be an integer ≥ warmupSteps = ${s.warmupSteps}, got ${show(s.decaySteps)}`);
  }
  return s;
}

/** The learning rate at optimizer step `step` (0-based). */
export function learningRate(s: LrSchedule, step: number): number {
  if (!(Number.isInteger(step) && step >= 0)) throw invalid(`\`step\` must be an integer ≥ 0, got ${show(step)}`);
  if (step < s.warmupSteps) return (s.maxLr * (step + 1)) / (s.warmupSteps + 1);
  if (step > s.decaySteps) return s.minLr;
  if (s.decaySteps === s.warmupSteps) return step === s.warmupSteps ? s.maxLr : s.minLr;
  const r = (step - s.warmupSteps) / (s.decaySteps - s.warmupSteps);
  return s.minLr + 0.5 * (1 + Math.cos(Math.PI * r)) * (s.maxLr - s.minLr);
}
