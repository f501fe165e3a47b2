/**
 * Permutes q/k projection weights between the interleaved and the half-split RoPE layouts.
 *
 * Formula: per head, output row t·(r/2) + j ← input row 2j + t (t ∈ {0, 1}, j < r/2): the pair
 *   (x[2j], x[2j+1]) moves to (x[j], x[j + r/2]). Rows ≥ r (partial rotary) stay in place.
 *   Then rotateHalfSplit(W'x) is the same permutation of rotateInterleaved(Wx), so every q·k is unchanged.
 * Paper: none (checkpoint conversion); see huggingface/transformers#25199.
 * Reference: huggingface/transformers src/transformers/models/llama/convert_llama_weights_to_hf.py
 *   `permute(w, n_heads, dim1, dim2)`: `w.view(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2)`.
 * Models: Meta llama/llama-2 checkpoints (interleaved) → HF format (half); the inverse for HF → Meta/GGUF NORM.
 * Parameters: w row-major [nHeads·headDim, inFeatures] (torch Linear weight layout), nHeads, headDim,
 *   rotaryDim (default headDim; even).
 * Config keys: none.
 * Differences: `rotaryDim < headDim` permutes only the first rotaryDim rows of each head (HF's script
 *   has no partial-rotary case; for rotaryDim = headDim the result is identical).
 */
import { invalid, show } from "../errors.js";
import { checkRotaryDim } from "./inv-freq.js";

type Weights = Float32Array | Float64Array;

function check(w: Weights, nHeads: number, headDim: number, rotaryDim: number): number {
  if (!Number.isInteger(nHeads) || nHeads < 1) throw invalid(`\`nHeads\` must be an integer ≥ 1, got ${show(nHeads)}`);
  if (!Number.isInteger(headDim) || headDim < 2) throw invalid(`\`headDim\` must be an integer ≥ 2, got ${show(headDim)}`);
  checkRotaryDim(rotaryDim);
  if (rotaryDim > headDim) throw invalid(`\`rotaryDim\` (${rotaryDim}) must be ≤ \`headDim\` (${headDim})`);
  const rows = nHeads * headDim;
  if (w.length % rows !== 0) {
    throw invalid(`weight has ${w.length} values, not a multiple of nHeads·headDim = ${rows} rows`);
  }
  return w.length / rows;
}

/** out[h, dst(i)] = w[h, i] for the row map dst over the first rotaryDim rows of each head. */
function permuteRows<T extends Weights>(w: T, nHeads: number, headDim: number, rotaryDim: number, toHalf: boolean): T {
  const inFeatures = check(w, nHeads, headDim, rotaryDim);
  const out = w.slice() as T;
  const half = rotaryDim / 2;
  for (let h = 0; h < nHeads; h++) {
    for (let j = 0; j < half; j++) {
      for (let t = 0; t < 2; t++) {
        const interleavedRow = h * headDim + 2 * j + t;
        const halfRow = h * headDim + t * half + j;
        const [src, dst] = toHalf ? [interleavedRow, halfRow] : [halfRow, interleavedRow];
        out.set(w.subarray(src * inFeatures, (src + 1) * inFeatures), dst * inFeatures);
      }
    }
  }
  return out;
}

/**
 * Interleaved-layout q/k weights → half-split layout (HF's Meta→HF conversion). Returns a new array.
 *
 * Example: `permuteInterleavedToHalf(new Float32Array([0, 1, 2, 3]), 1, 4)` → [0, 2, 1, 3] (rows of a [4 × 1] weight).
 */
export function permuteInterleavedToHalf<T extends Weights>(w: T, nHeads: number, headDim: number, rotaryDim = headDim): T {
  return permuteRows(w, nHeads, headDim, rotaryDim, true);
}

/**
 * Half-split-layout q/k weights → interleaved layout (inverse of permuteInterleavedToHalf). Returns a new array.
 *
 * Example: `permuteHalfToInterleaved(new Float32Array([0, 2, 1, 3]), 1, 4)` → [0, 1, 2, 3].
 */
export function permuteHalfToInterleaved<T extends Weights>(w: T, nHeads: number, headDim: number, rotaryDim = headDim): T {
  return permuteRows(w, nHeads, headDim, rotaryDim, false);
}
