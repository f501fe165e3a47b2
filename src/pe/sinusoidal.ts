/**
 * Sinusoidal absolute position encoding.
 *
 * Formula: angle(pos, i) = pos · ω_i, with ω_i = base^(−2i/d) (`vaswani`) or
 *   ω_i = exp(−i · ln(base)/max(⌊d/2⌋ − 1, 1)) (`t2t`); the table holds sin(angle) and cos(angle):
 *   `interleaved`: PE[pos, 2i] = sin, PE[pos, 2i+1] = cos;  `concat`: PE[pos, i] = sin, PE[pos, K+i] = cos.
 * Paper: Vaswani et al. 2017, "Attention Is All You Need", arXiv:1706.03762 (§3.5).
 * Reference: pytorch/tutorials beginner_source/transformer_tutorial.py PositionalEncoding (interleaved, vaswani; the seed's
 *   code); tensorflow/tensor2tensor tensor2tensor/layers/common_attention.py get_timing_signal_1d (concat, t2t);
 *   facebookresearch/fairseq fairseq/modules/sinusoidal_positional_embedding.py (concat, t2t);
 *   kimiyoung/transformer-xl pytorch/mem_transformer.py PositionalEmbedding (concat, vaswani).
 * Models: the original Transformer, fairseq/tensor2tensor models, Transformer-XL (relative form), the seed's model.
 * Parameters: `dim` d (≥ 1); `base` (default 10000, as every reference); `layout` (default "interleaved");
 *   `spacing` (default "vaswani").
 * Config keys: `pe: "sinusoidal"` with `base` (SINUSOIDAL_SPEC below); the functions also take `layout`, `spacing`.
 * Differences: odd d is handled, never refused. `vaswani` follows the paper's formula for every d:
 *   ⌈d/2⌉ sine frequencies base^(−2i/d) and ⌊d/2⌋ cosines (the PyTorch tutorial code raises a shape error
 *   for odd d); in `concat` the sines come first, then the cosines. `t2t` uses ⌊d/2⌋ frequencies and a zero last
 *   column, exactly as tensor2tensor and fairseq. Positions start at 0 (fairseq offsets them by padding_idx+1).
 */
import { defineEncoding } from "./spec.js";
import { arange, checkChoice, checkInt, checkKeys, checkPositions, checkPositive } from "./check.js";

export type SinusoidalLayout = "interleaved" | "concat";
export type SinusoidalSpacing = "vaswani" | "t2t";

export interface SinusoidalOptions {
  /** Model dimension d (columns of the table), e.g. 512. */
  dim: number;
  /** Frequency base (10000 in every reference). */
  base?: number;
  /** Column order: sin/cos alternating (`interleaved`) or [sin | cos] halves (`concat`). */
  layout?: SinusoidalLayout;
  /** Frequency spacing: `vaswani` (base^(−2i/d)) or `t2t` (log-timescale increment, tensor2tensor/fairseq). */
  spacing?: SinusoidalSpacing;
}

export const DEFAULT_SINUSOIDAL = { base: 10000, layout: "interleaved", spacing: "vaswani" } as const;
export const SINUSOIDAL_LAYOUTS: readonly SinusoidalLayout[] = ["interleaved", "concat"];
export const SINUSOIDAL_SPACINGS: readonly SinusoidalSpacing[] = ["vaswani", "t2t"];

/**
 * The angular frequencies ω used for the sine columns and for the cosine columns.
 * `vaswani`: sin has ⌈d/2⌉, cos has ⌊d/2⌋ (the paper's formula, so odd d gets one extra sine);
 * `t2t`: both have ⌊d/2⌋ (the last column of an odd-d table is zero).
 *
 * Example: `sinusoidalFrequencies(4).sin` → Float64Array [1, 0.01]
 */
export function sinusoidalFrequencies(dim: number, base = 10000, spacing: SinusoidalSpacing = "vaswani"): { sin: Float64Array; cos: Float64Array } {
  checkInt("dim", dim);
  checkPositive("base", base);
  checkChoice("spacing", spacing, SINUSOIDAL_SPACINGS);
  if (spacing === "vaswani") {
    const sin = new Float64Array(Math.ceil(dim / 2));
    for (let i = 0; i < sin.length; i++) sin[i] = Math.pow(base, (-2 * i) / dim);
    return { sin, cos: sin.slice(0, Math.floor(dim / 2)) };
  }
  const k = Math.floor(dim / 2);
  const inc = Math.log(base) / Math.max(k - 1, 1);
  const w = new Float64Array(k);
  for (let i = 0; i < k; i++) w[i] = Math.exp(-i * inc);
  return { sin: w, cos: w.slice() };
}

/**
 * Table [positions.length × dim] (row-major) of sinusoidal encodings for the given positions (any finite numbers;
 * a count N means positions 0..N−1).
 *
 * Example: `sinusoidalTable(3, { dim: 4 })` → rows [0,1,0,1], [sin 1, cos 1, sin .01, cos .01], …
 */
export function sinusoidalTable(positions: number | ArrayLike<number>, opts: SinusoidalOptions): Float64Array {
  const pos = typeof positions === "number" ? arange(checkInt("positions", positions, 0)) : checkPositions("positions", positions);
  checkKeys("sinusoidal options", opts, ["dim", "base", "layout", "spacing"]);
  const dim = checkInt("dim", opts.dim);
  const layout = checkChoice("layout", opts.layout ?? DEFAULT_SINUSOIDAL.layout, SINUSOIDAL_LAYOUTS);
  const { sin, cos } = sinusoidalFrequencies(dim, opts.base ?? DEFAULT_SINUSOIDAL.base, opts.spacing ?? DEFAULT_SINUSOIDAL.spacing);
  const out = new Float64Array(pos.length * dim);
  for (let r = 0; r < pos.length; r++) {
    const p = pos[r]!;
    const row = r * dim;
    for (let i = 0; i < sin.length; i++) out[row + sinusoidalColumn(layout, "sin", i, sin.length)] = Math.sin(p * sin[i]!);
    for (let i = 0; i < cos.length; i++) out[row + sinusoidalColumn(layout, "cos", i, sin.length)] = Math.cos(p * cos[i]!);
  }
  return out;
}

/**
 * Column of frequency i's sine or cosine in a layout (`nSin` = number of sine columns). This is the fixed
 * permutation between the two layouts: `interleaved` puts them at 2i / 2i+1, `concat` at i / nSin+i.
 */
export function sinusoidalColumn(layout: SinusoidalLayout, part: "sin" | "cos", i: number, nSin: number): number {
  if (layout === "interleaved") return part === "sin" ? 2 * i : 2 * i + 1;
  return part === "sin" ? i : nSin + i;
}

/** The registry entry (spec.ts): the model adds the interleaved, Vaswani-spaced table unscaled (the seed's module). */
export const SINUSOIDAL_SPEC = defineEncoding({
  name: "sinusoidal", aliases: {}, family: "absolute",
  summary: "fixed sin/cos table added to the embeddings",
  paper: "Vaswani et al. 2017, arXiv:1706.03762", reference: "tensor2tensor get_timing_signal_1d; fairseq SinusoidalPositionalEmbedding",
  usedBy: "Transformer, fairseq, tensor2tensor, the seed",
  models: ["transformer", "lstm"], randomized: true,
  params: { base: { type: "number", default: DEFAULT_SINUSOIDAL.base, above: 0, help: "frequency base" } },
});
