/**
 * Randomized positional encodings: random sorted position ids drawn from a range longer than the training length.
 *
 * Formula: for a training sequence of N tokens, draw N distinct integers uniformly from [0, maxLen) (without
 *   replacement), sort them ascending, and use them as the position ids of any base encoding.
 * Paper: Ruoss et al. 2023, "Randomized Positional Encodings Boost Length Generalization of Transformers",
 *   ACL 2023, arXiv:2305.16843.
 * Reference: google-deepmind/randomized_positional_encodings models/positional_encodings.py
 *   (`noisy_fixed_positional_encodings`: jrandom.choice(arange(noise_max_length), (seq_len,), replace=False), sort).
 * Models: the paper's encoder-only models; FIRE's reference (randperm + sort) for arithmetic.
 * Parameters: `maxLen` L (> N; the repo's `noise_max_length` default 2048), the generator (seeded `Rng`).
 * Config keys: `pe.randomized.max_length` (RANDOMIZED in encodings.ts), combined with the encodings whose spec says `randomized: true`.
 * Differences: sampling uses selection sampling (Knuth's Algorithm S: one uniform draw per candidate, output already
 *   sorted), so the exact subsets differ from JAX's for the same seed, the distribution is the same (every N-subset is
 *   equally likely). The reference's `randomize_both_sides` for relative encodings is not provided. At evaluation
 *   the reference protocol is the default, as in the reference (it samples at every call, evaluation included):
 *   fresh sorted random positions per window, several seeded draws averaged (src/eval/run.ts `positions: "random"`,
 *   DEFAULT_POSITION_DRAWS; `positionsFor` in src/model/gpt/transformer.ts); plain positions 0..N−1 are the option
 *   `--positions plain`.
 */
import { checkInt } from "./check.js";
import { invalid } from "./errors.js";
import { Rng } from "./random.js";

export const DEFAULT_RANDOMIZED = { maxLen: 2048 } as const;

/**
 * N sorted, distinct integer positions drawn uniformly from [0, maxLen).
 *
 * Example: `randomizedPositions(5, 2048, new Rng(0))` → Int32Array of 5 increasing values < 2048
 */
export function randomizedPositions(n: number, maxLen: number, rng: Rng): Int32Array {
  checkInt("n", n, 0);
  checkInt("maxLen", maxLen);
  if (n > maxLen) throw invalid(`\`n\` must be ≤ maxLen (${maxLen}) to draw distinct positions, got ${n}`);
  const out = new Int32Array(n);
  let chosen = 0;
  for (let t = 0; t < maxLen && chosen < n; t++) {
    // select candidate t with probability (still needed)/(still available)
    if ((maxLen - t) * rng.float() < n - chosen) out[chosen++] = t;
  }
  return out;
}
