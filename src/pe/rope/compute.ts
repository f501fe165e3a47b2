/**
 * computeRope: one call from RopeParams to inv_freq, attention factor and (for given positions) the
 * cos/sin tables exactly as HF's rotary embedding builds them.
 *
 * Formula: inv_freq, attention factor from the scheme (ROPE_SCHEMES[type].compute), then Resonance
 *   rounding if enabled; cos/sin = ropeCosSin(inv_freq, positions, attention factor).
 * Paper: see the scheme files.
 * Reference: huggingface/transformers src/transformers/models/llama/modeling_llama.py
 *   (`LlamaRotaryEmbedding.__init__` / `forward` with `dynamic_rope_update`: seq_len = max(position_ids) + 1).
 * Models: all RoPE models.
 * Parameters: params (RopeParams), seqLen (current length for dynamic/longrope; default
 *   max(positions) + 1 when positions are given, else the reference's init-time value), positions,
 *   precision ("float64" default | "float32").
 * Config keys: none (see hf-config.ts).
 * Differences: stateless (see dynamic.ts for HF's cached dynamic state).
 */
import { invalid, show } from "../errors.js";
import { type RopePrecision } from "./inv-freq.js";
import { ropeCosSin } from "./apply.js";
import { validateRopeParams } from "./params.js";
import { resonanceInvFreq, ropeScheme, type RopeFrequencies, type RopeParams } from "./scaling/index.js";

export interface ComputeRopeOptions {
  /** Current sequence length (dynamic, longrope). */
  seqLen?: number;
  /** Positions for the cos/sin tables. */
  positions?: ArrayLike<number>;
  /** Default "float64". */
  precision?: RopePrecision;
}

export interface RopeResult extends RopeFrequencies {
  rotaryDim: number;
  /** Present iff positions were given: row-major [positions × rotaryDim], half-split layout
   *  `cat(freqs, freqs)`, multiplied by the attention factor. */
  cos?: Float64Array;
  sin?: Float64Array;
}

function checkPrecision(p: unknown): RopePrecision {
  if (p !== "float64" && p !== "float32") throw invalid(`\`precision\` must be "float64" or "float32", got ${show(p)}`);
  return p;
}

/**
 * inv_freq and attention factor for the params (validated here too).
 *
 * Example: `computeRopeFrequencies(makeRopeParams({ headDim: 4 }))` → {invFreq: [1, 0.01], attentionFactor: 1}.
 */
export function computeRopeFrequencies(params: RopeParams, opts: { seqLen?: number; precision?: RopePrecision } = {}): RopeFrequencies {
  validateRopeParams(params);
  const precision = checkPrecision(opts.precision ?? "float64");
  const result = ropeScheme(params.scaling.type).compute(params, { seqLen: opts.seqLen, precision });
  if (params.resonance) result.invFreq = resonanceInvFreq(result.invFreq, precision);
  return result;
}

/**
 * Everything HF's rotary embedding holds for these params: inv_freq, attention factor, rotary dim, and
 * cos/sin rows for `positions` (seqLen defaults to max(positions) + 1, as the reference forward does).
 *
 * Example: `computeRope(params, { positions: [0, 1, 4095], precision: "float32" }).cos`.
 */
export function computeRope(params: RopeParams, opts: ComputeRopeOptions = {}): RopeResult {
  const positions = opts.positions;
  let seqLen = opts.seqLen;
  if (seqLen === undefined && positions !== undefined && positions.length > 0) {
    let max = -Infinity;
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i]!;
      if (!Number.isFinite(p)) throw invalid(`positions[${i}] must be a finite number, got ${show(p)}`);
      if (p > max) max = p;
    }
    seqLen = Math.max(1, Math.floor(max) + 1);
  }
  const precision = checkPrecision(opts.precision ?? "float64");
  const f = computeRopeFrequencies(params, { seqLen, precision });
  const out: RopeResult = { invFreq: f.invFreq, attentionFactor: f.attentionFactor, rotaryDim: params.rotaryDim };
  if (positions !== undefined) {
    const table = ropeCosSin(f.invFreq, positions, f.attentionFactor, precision);
    out.cos = table.cos;
    out.sin = table.sin;
  }
  return out;
}
