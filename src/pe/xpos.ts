/**
 * xPos scales (the length-extrapolatable rotary variant): per-pair decay factors applied on top of RoPE.
 *
 * Formula: ζ_i = (2i + 0.4d)/(1.4d), i = 0..d/2−1; scale(n, i) = ζ_i^(n/scaleBase); queries are multiplied by
 *   scale(n) and keys by scale(n)^−1 after the rotation, so q_m·k_n carries ζ^((m−n)/scaleBase) ≤ 1 for m ≥ n.
 *   The rotation itself is RoPE in the interleaved layout (src/pe/rope/apply.ts), both entries of a pair get ζ_i.
 *   Centring (torchscale): for a length-T block with `offset` cached tokens, exponent positions are
 *   minPos..minPos+T+offset−1 with minPos = ⌊−(T+offset)/2⌋, of which the last T are used.
 * Paper: Sun et al. 2023, "A Length-Extrapolatable Transformer", ACL 2023, arXiv:2212.10554.
 * Reference: microsoft/torchscale torchscale/component/xpos_relative_position.py XPOS (scale buffer, centring,
 *   `downscale` for keys); lucidrains/rotary-embedding-torch (`use_xpos`, `xpos_scale_base=512`).
 * Models: the paper's LEX Transformer; x-transformers `rotary_xpos`.
 * Parameters: `dim` d (even, the rotary dimension); `scaleBase` (default 512, as the reference).
 * Config keys: `pe: "xpos"` with `layout`, `theta`, `rotary_dim`, `scale_base` (XPOS_SPEC below).
 * Differences: none in the scales. `xposScales` takes positions as given (the CLI uses it: no centring);
 *   `xposCentredPositions` reproduces the reference's centring. Only the exponent is centred: torchscale rotates
 *   with positions 0..T+offset−1 (its `fixed_pos_embedding`).
 */
import { defineEncoding } from "./spec.js";
import { ROTARY_PARAMS, validateRotaryDim } from "./rope/encoding.js";
import { checkInt, checkPositions, checkPositive } from "./check.js";
import { invalid } from "./errors.js";

export const DEFAULT_XPOS = { scaleBase: 512 } as const;

/**
 * ζ_i for i = 0..d/2−1.
 *
 * Example: `xposZeta(8)` → [0.2857…, 0.4642…, 0.6428…, 0.8214…]
 */
export function xposZeta(dim: number): Float64Array {
  checkInt("dim", dim, 2);
  if (dim % 2 !== 0) throw invalid(`\`dim\` must be even for xPos (rotary pairs), got ${dim}`);
  const out = new Float64Array(dim / 2);
  for (let i = 0; i < out.length; i++) out[i] = (2 * i + 0.4 * dim) / (1.4 * dim);
  return out;
}

/**
 * Scales [positions.length × d/2]: ζ_i^(n/scaleBase) for each position n as given (queries multiply by it, keys
 * by its inverse — `downscale`). Both entries of pair i (interleaved 2i, 2i+1) use column i.
 *
 * Example: `xposScales(8, [-4096, 0, 4095])` → row 1 is all ones
 */
export function xposScales(dim: number, positions: ArrayLike<number>, scaleBase: number = DEFAULT_XPOS.scaleBase): Float64Array {
  const zeta = xposZeta(dim);
  const pos = checkPositions("positions", positions);
  checkPositive("scaleBase", scaleBase);
  const k = zeta.length;
  const out = new Float64Array(pos.length * k);
  for (let r = 0; r < pos.length; r++) {
    for (let i = 0; i < k; i++) out[r * k + i] = Math.pow(zeta[i]!, pos[r]! / scaleBase);
  }
  return out;
}

/**
 * The reference's centred exponent positions for a block of `length` tokens after `offset` cached ones.
 *
 * Example: `xposCentredPositions(5)` → [-3, -2, -1, 0, 1]; `xposCentredPositions(5, 3)` → [-1, 0, 1, 2, 3]
 */
export function xposCentredPositions(length: number, offset = 0): Float64Array {
  checkInt("length", length);
  checkInt("offset", offset, 0);
  const total = length + offset;
  const minPos = Math.floor(-total / 2);
  const out = new Float64Array(length);
  for (let r = 0; r < length; r++) out[r] = minPos + offset + r;
  return out;
}

/** The registry entry (spec.ts): RoPE parameters (interleaved by default, as torchscale) and the scale base. */
export const XPOS_SPEC = defineEncoding({
  name: "xpos", aliases: {}, family: "rotary",
  summary: "RoPE with per-pair decay ζ^(n/scale_base)",
  paper: "Sun et al. 2022, arXiv:2212.10554", reference: "microsoft/torchscale XPOS", usedBy: "LEX Transformer, x-transformers rotary_xpos",
  models: ["transformer"], randomized: false,
  params: {
    layout: { ...ROTARY_PARAMS.layout, default: "interleaved" },
    theta: ROTARY_PARAMS.theta,
    rotary_dim: ROTARY_PARAMS.rotary_dim,
    scale_base: { type: "number", default: DEFAULT_XPOS.scaleBase, above: 0, help: "xPos scale base" },
  },
  validate: (p, d) => validateRotaryDim(p.rotaryDim, d),
});
