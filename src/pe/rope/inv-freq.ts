/**
 * RoPE default inverse frequencies, in float64 and in a float32 mode that rounds like PyTorch.
 *
 * Formula: inv_freq[i] = 1 / theta^(2i/d), i = 0 .. d/2 − 1 (d = rotary dim, even).
 * Paper: Su, Lu, Pan, Murtadha, Wen, Liu 2021, "RoFormer: Enhanced Transformer with Rotary Position
 *   Embedding", arXiv:2104.09864.
 * Reference: huggingface/transformers src/transformers/modeling_rope_utils.py
 *   (`_compute_default_rope_parameters`, v4.4x; inlined into each `_compute_*` in v5):
 *   `1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))`.
 * Models: every RoPE model (Llama, Mistral, Qwen, Gemma, Phi, GPT-NeoX, GPT-J …).
 * Parameters: theta (base, > 1; HF default 10000 = `default_theta`), rotaryDim d (even, ≥ 2),
 *   precision ("float64" default | "float32").
 * Config keys: `rope_theta` (read in hf-config.ts).
 * Differences: none in "float32" mode (bit-identical to torch 1.13 CPU on the committed goldens,
 *   see inv-freq.test.ts); "float64" is the same formula without rounding.
 *
 * The float32 mode rounds (Math.fround) at every step where PyTorch holds a float32 tensor:
 *   e_i = f32(2i / d)           arange(int64).float() / dim   (float32 division)
 *   p_i = f32(f32(theta) ^ e_i) base ** tensor                  (the Python base is cast to float32)
 *   inv_i = f32(1 / p_i)        1.0 / tensor                    (float32 division)
 * Double-then-round is exact for + − × ÷ on float32 operands (53 ≥ 2·24 + 2 bits), so these steps
 * reproduce IEEE float32 arithmetic; for pow it gives the correctly rounded powf.
 */
import { invalid, show } from "../errors.js";

/** "float64": exact formula in double. "float32": reproduce PyTorch's float32 rounding steps. */
export type RopePrecision = "float64" | "float32";

/** HF's `default_theta` (and every pre-v5 config class default). */
export const DEFAULT_ROPE_THETA = 10000;

/** Rounds a value the way a tensor of the given precision stores it: identity, or Math.fround. */
export function tensorRound(precision: RopePrecision): (x: number) => number {
  return precision === "float32" ? Math.fround : (x: number) => x;
}

/** Throws unless `d` is an even integer ≥ 2 (RoPE rotates pairs). */
export function checkRotaryDim(d: number, name = "`rotaryDim`"): void {
  if (!Number.isInteger(d) || d < 2 || d % 2 !== 0) {
    throw invalid(`${name} must be an even integer ≥ 2, got ${show(d)}`, "RoPE rotates channel pairs, so the rotary dimension must be even");
  }
}

/** Throws unless theta is a finite number > 1. */
export function checkTheta(theta: number, name = "`theta`"): void {
  if (typeof theta !== "number" || !Number.isFinite(theta) || theta <= 1) {
    throw invalid(`${name} must be a finite number > 1, got ${show(theta)}`);
  }
}

/**
 * A Python scalar divided by a tensor, as torch evaluates it: `Tensor.__rtruediv__` is
 * `self.reciprocal() * other`, so float32 gives f32(f32(1/x) · f32(s)), not f32(s/x). float64: s/x.
 *
 * Example: `scalarOverTensor(2 * Math.PI, 7, "float32")` → 0.8975979685783386 (f32(2π/7) is 0.8975979089736938).
 */
export function scalarOverTensor(s: number, x: number, precision: RopePrecision): number {
  if (precision === "float32") return Math.fround(Math.fround(1 / x) * Math.fround(s));
  return s / x;
}

/**
 * Default RoPE inverse frequencies `1/theta^(2i/exponentDim)` for i < count.
 * `exponentDim` defaults to rotaryDim and `count` to rotaryDim/2; proportional RoPE uses
 * exponentDim = head dim with fewer pairs.
 *
 * Example: `defaultInvFreq(10000, 4)` → Float64Array [1, 0.01].
 */
export function defaultInvFreq(
  theta: number,
  rotaryDim: number,
  precision: RopePrecision = "float64",
  exponentDim: number = rotaryDim,
  count: number = rotaryDim / 2,
): Float64Array {
  checkTheta(theta);
  checkRotaryDim(rotaryDim);
  const r = tensorRound(precision);
  const base = r(theta);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const e = r((2 * i) / exponentDim);
    out[i] = r(1 / r(Math.pow(base, e)));
  }
  return out;
}

/**
 * Angle position × inv_freq as the chosen precision computes it. float32: both operands rounded to
 * float32 and the product rounded (HF: `inv_freq.float() @ position_ids.float()`). float64: the
 * double product (use `ropeCosSin` for cos/sin, which also carries the product's rounding error).
 *
 * Example: `ropeAngle(9000, 0.8659643233600653, "float32")` → 7793.67919921875 (float64: 7793.678910240588).
 */
export function ropeAngle(position: number, invFreq: number, precision: RopePrecision = "float64"): number {
  if (precision === "float32") return Math.fround(Math.fround(position) * Math.fround(invFreq));
  return position * invFreq;
}
