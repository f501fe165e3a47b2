/** Float64 reference of AdamW (PyTorch formulas) and global-norm clipping (used only by tests). */
import type { AdamwConfig } from "./adamw.js";

/** One AdamW step in place on float64 arrays; mask[i] = 0 exempts element i from weight decay. */
export function adamwStepRef(param: Float64Array, m: Float64Array, v: Float64Array, grad: ArrayLike<number>, mask: ArrayLike<number> | null, step: number, cfg: AdamwConfig, gradScale = 1): void {
  const bc1 = 1 - cfg.beta1 ** step;
  const bc2 = 1 - cfg.beta2 ** step;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]! * gradScale;
    if (!mask || mask[i]) param[i] = param[i]! * (1 - cfg.lr * cfg.weightDecay);
    m[i] = cfg.beta1 * m[i]! + (1 - cfg.beta1) * g;
    v[i] = cfg.beta2 * v[i]! + (1 - cfg.beta2) * g * g;
    param[i] = param[i]! - (cfg.lr / bc1) * m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + cfg.eps);
  }
}

export function globalNormRef(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s);
}
