/**
 * AdamW over one flat parameter array (PyTorch `torch.optim.AdamW`, single-tensor path) and global
 * gradient-norm clipping (`torch.nn.utils.clip_grad_norm_`).
 *
 * Sizes: n elements (all parameters of the model, flat).
 * Buffers: param, m, v, grad float32 [n] (m, v = AdamW state, zero before step 1); decayMask uint8 [n]
 * (1 = apply weight decay, 0 = exempt; 0 pointer = decay everything).
 * Formulas (t = step, from 1), all element arithmetic in float32 with float64-computed scalars:
 *   g = grad·gradScale; p ← p·(1 − lr·wd) where decayed (before the Adam update, as PyTorch)
 *   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr/(1 − β1^t))·m / (√v/√(1 − β2^t) + eps)
 * Clipping: norm = √Σ grad² (squares summed in float64 per fixed chunk of GRAD_NORM_CHUNK elements,
 * chunks summed in float64 in order: identical for any thread count); coefficient
 * min(1, maxNorm/(norm + 1e−6)) in float32 like PyTorch. Apply it by passing it as `gradScale` to
 * adamwStep (saves a pass) or with scaleInPlace. (PyTorch computes the norm in float32, so its norm
 * can differ from ours in the last bits.)
 * Accumulate rule: param, m, v updated in place; grad is only read (adamwStep) or scaled (scaleInPlace).
 * Parallel split: elements (grain 4); the norm over chunks.
 *
 * Example:
 *   const coef = clipCoefficient(globalGradNorm(engine, grads, n), 1.0);
 *   adamwStep(engine, params, m, v, grads, decayMask, n, step, DEFAULT_ADAMW, coef);
 */
import type { Engine } from "../../engine.js";
import { ExtraposError } from "../../../pe/errors.js";
import { checkBuffer, checkFiniteScalar, checkOptionalBuffer, checkSize } from "../checks.js";
import {
  ADAMW_STEP, SCALE_IN_PLACE, SUM_SQUARES_PARTIALS,
  type AdamwStepArgs, type ScaleInPlaceArgs, type SumSquaresPartialsArgs,
} from "../names.js";

export interface AdamwConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** The reference model's optimizer (issue 3): lr 3e-4, betas 0.9/0.95, eps 1e-8, weight decay 0.1. */
export const DEFAULT_ADAMW: Readonly<AdamwConfig> = Object.freeze({ lr: 3e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });

/** Elements per partial sum of the gradient norm (fixed, so the sum order never depends on threads). */
export const GRAD_NORM_CHUNK = 4096;

/** Fills defaults, refuses unknown keys and out-of-range values. */
export function resolveAdamwConfig(partial: Partial<AdamwConfig> = {}): AdamwConfig {
  for (const key of Object.keys(partial)) {
    if (!(key in DEFAULT_ADAMW)) {
      throw new ExtraposError("invalid_config", `adamw: unknown key \`${key}\``, `known keys: ${Object.keys(DEFAULT_ADAMW).join(", ")}`);
    }
  }
  const cfg = { ...DEFAULT_ADAMW, ...partial };
  checkFiniteScalar("adamw", "lr", cfg.lr, (x) => x >= 0, "a finite number ≥ 0");
  checkFiniteScalar("adamw", "beta1", cfg.beta1, (x) => x >= 0 && x < 1, "a number in [0, 1)");
  checkFiniteScalar("adamw", "beta2", cfg.beta2, (x) => x >= 0 && x < 1, "a number in [0, 1)");
  checkFiniteScalar("adamw", "eps", cfg.eps, (x) => x > 0, "a finite number > 0");
  checkFiniteScalar("adamw", "weightDecay", cfg.weightDecay, (x) => x >= 0, "a finite number ≥ 0");
  return cfg;
}

export function adamwStep(
  engine: Engine, param: number, m: number, v: number, grad: number, decayMask: number, n: number, step: number,
  config: AdamwConfig = DEFAULT_ADAMW, gradScale = 1,
): void {
  const op = "adamwStep";
  checkSize(op, "n", n);
  checkSize(op, "step", step);
  const cfg = resolveAdamwConfig(config);
  checkFiniteScalar(op, "gradScale", gradScale);
  for (const [name, p] of [["param", param], ["m", m], ["v", v], ["grad", grad]] as const) checkBuffer(engine, op, name, p, n, `[n=${n}]`);
  checkOptionalBuffer(engine, op, "decayMask", decayMask, n, `[n=${n}] uint8`, 1);
  const bc1 = 1 - cfg.beta1 ** step;
  const bc2 = 1 - cfg.beta2 ** step;
  const args: AdamwStepArgs = [
    param, m, v, grad, decayMask,
    gradScale, cfg.beta1, 1 - cfg.beta1, cfg.beta2, 1 - cfg.beta2,
    cfg.eps, 1 - cfg.lr * cfg.weightDecay, cfg.lr / bc1, Math.sqrt(bc2),
  ];
  engine.parallelFor(ADAMW_STEP, n, args, 4);
}

/**
 * √Σ grad² over [n] in float64 (chunk partials written to a scratch area taken with
 * engine.mark()/alloc()/reset(), so nothing stays allocated).
 */
export function globalGradNorm(engine: Engine, grad: number, n: number): number {
  const op = "globalGradNorm";
  checkSize(op, "n", n);
  checkBuffer(engine, op, "grad", grad, n, `[n=${n}]`);
  const chunks = Math.ceil(n / GRAD_NORM_CHUNK);
  const mark = engine.mark();
  try {
    const partials = engine.alloc(chunks * 8, 64);
    const args: SumSquaresPartialsArgs = [partials, grad, n, GRAD_NORM_CHUNK];
    engine.parallelFor(SUM_SQUARES_PARTIALS, chunks, args);
    const view = new Float64Array(engine.memory.buffer, partials, chunks);
    let s = 0;
    for (let k = 0; k < chunks; k++) s += view[k]!;
    return Math.sqrt(s);
  } finally {
    engine.reset(mark);
  }
}

/** PyTorch clip_grad_norm_: min(1, maxNorm / (norm + 1e-6)), evaluated in float32 as torch does. */
export function clipCoefficient(norm: number, maxNorm: number): number {
  checkFiniteScalar("clipCoefficient", "maxNorm", maxNorm, (x) => x > 0, "a finite number > 0");
  if (Number.isNaN(norm)) return NaN; // propagates like torch (no clamp of NaN); checkFinite reports it
  const coef = Math.fround(Math.fround(maxNorm) / Math.fround(Math.fround(norm) + 1e-6));
  return Math.min(coef, 1);
}

/** x *= s over [n] (float32). */
export function scaleInPlace(engine: Engine, x: number, n: number, s: number): void {
  const op = "scaleInPlace";
  checkSize(op, "n", n);
  checkBuffer(engine, op, "x", x, n, `[n=${n}]`);
  checkFiniteScalar(op, "s", s);
  const args: ScaleInPlaceArgs = [x, s];
  engine.parallelFor(SCALE_IN_PLACE, n, args, 4);
}
